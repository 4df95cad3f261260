// GraphiQL's default tabs: the README's "30 seconds in GraphiQL", ready to
// run one tab after another. GraphiQL shows them only to a browser that has
// no tabs of its own stored yet (it keeps tabs in localStorage).
//
// A token and a document id cannot be known in advance: the tabs carry the
// placeholders <accessToken> and <documentId>, which tab 1 and tab 2 print
// the values for. graphiql-examples.test.ts runs every tab against a real
// server with the placeholders filled in, so these stay runnable.

/** What GraphiQL's `defaultTabs` option takes (JSON strings, as typed in its editors). */
export interface GraphiQLTab {
  query: string;
  variables?: string;
  headers?: string;
}

export const TOKEN_PLACEHOLDER = '<accessToken>';
export const DOCUMENT_PLACEHOLDER = '<documentId>';

const json = (value: unknown) => JSON.stringify(value, null, 2);
const withToken = json({ Authorization: `Bearer ${TOKEN_PLACEHOLDER}` });
const withDocument = json({ documentId: DOCUMENT_PLACEHOLDER });

export const graphiqlTabs: GraphiQLTab[] = [
  {
    // Literal arguments, no variables: GraphiQL fills the editors of the tab
    // it opens first from its own storage, not from the tab.
    query: `# 1 of 6: sign up (or log in, if you have an account).
# Copy "accessToken" from the result into the Headers of tabs 2
# to 6, in place of <accessToken>. It lasts 15 minutes;
# refreshSession gets a new one. Choose SignUp or LogIn when
# you press the run button.
mutation SignUp {
  signUp(email: "ann@example.com", password: "correct horse", name: "Ann") {
    accessToken
    expiresAt
    user { id name }
  }
}

mutation LogIn {
  logIn(email: "ann@example.com", password: "correct horse") {
    accessToken
    expiresAt
    user { id name }
  }
}
`,
    headers: '{}',
  },
  {
    query: `# 2 of 6: create a document. Copy its "id" into the
# Variables of tabs 3 to 6, in place of <documentId>. Its
# content is committed as version 1.
mutation CreateDocument {
  createDocument(title: "Notes", content: { ops: [{ insert: "Hello\\n" }] }) {
    id
    title
    version
    content
  }
}
`,
    headers: withToken,
  },
  {
    query: `# 3 of 6: follow the document's operations, over WebSocket.
# It first replays every op after afterVersion (here: version 1,
# the initial content), then shows each new op as it commits.
# GraphiQL stops a running operation when you switch tabs, so
# run this one in a second browser window at the same address
# and leave it running while you use tab 4 in the first.
# (GraphiQL's socket is signed in by the session cookie that
# tab 1 set in this browser; its Headers reach HTTP only.)
subscription DocumentOperations($documentId: ID!) {
  documentOperations(documentId: $documentId, afterVersion: 0) {
    version
    delta
    clientId
    clientSeq
    author { name }
  }
}
`,
    variables: withDocument,
    headers: withToken,
  },
  {
    query: `# 4 of 6: submit an edit. baseVersion is the version the
# delta applies to; this one inserts "Hi! " at the start. The
# committed op appears in tab 3.
# - Run it again: the same (clientId, clientSeq) returns the
#   same op and adds nothing.
# - Set clientSeq to 1 and run it again, still at baseVersion 1:
#   the server rebases it over the op committed since. The reply
#   is the op as committed, { retain: 4 } then "Hi! ": at one
#   position, the op committed first stays first.
# Run UpdatePresence while tab 5 watches, and Document to see
# the result.
mutation SubmitOperation($documentId: ID!, $baseVersion: Int!, $clientSeq: Int!) {
  submitOperation(input: {
    documentId: $documentId
    baseVersion: $baseVersion
    clientId: "graphiql-tab-4"
    clientSeq: $clientSeq
    delta: { ops: [{ insert: "Hi! " }] }
  }) {
    version
    delta
    clientId
    clientSeq
  }
}

mutation UpdatePresence($documentId: ID!) {
  # Selects "Hello" as it was at version 1 (others map it to theirs).
  updatePresence(documentId: $documentId, clientId: "graphiql-tab-4",
                 version: 1, index: 0, length: 5)
}

query Document($documentId: ID!) {
  document(id: $documentId) {
    version
    content
    contentAt(version: 1)
    operations(afterVersion: 0) { version delta clientId clientSeq }
    presence { clientId index length version }
  }
}
`,
    variables: json({ documentId: DOCUMENT_PLACEHOLDER, baseVersion: 1, clientSeq: 0 }),
    headers: withToken,
  },
  {
    query: `# 5 of 6: watch presence (in a second browser window, as
# tab 3): first who is here now, then every update live. Run
# UpdatePresence in tab 4. Presence is never in the log; 30
# seconds after its last update it ends with left: true.
subscription DocumentPresence($documentId: ID!) {
  documentPresence(documentId: $documentId) {
    clientId
    user { name }
    version
    index
    length
    left
    updatedAt
  }
}
`,
    variables: withDocument,
    headers: withToken,
  },
  {
    query: `# 6 of 6: agents and backends. CreateApiToken makes a token
# that acts for you, at most as an EDITOR, on this document only;
# its secret ("token", cgat_...) is shown this once. An agent
# sends it as its Bearer, here in the Headers in place of your
# access token, and its edits show as TOKEN in Operation.actor.
# EditDocument says what to change in words, not deltas: the
# positions are those of baseVersion (default: the head) and the
# server rebases them over whatever was committed since. Run it
# again: the same idempotencyKey returns the same op and adds
# nothing. requiredVersion (try 1) refuses with CONFLICT when the
# document has moved on. RevertRun takes the whole run "tutorial"
# back as one new op, keeping what others wrote since; run it
# again: the same op, once.
mutation CreateApiToken($documentId: ID!) {
  createApiToken(name: "Copy editor", role: EDITOR, documentId: $documentId) {
    token
    apiToken { id name role documentId }
  }
}

mutation EditDocument($documentId: ID!) {
  editDocument(input: {
    documentId: $documentId
    idempotencyKey: "graphiql-tab-6"
    runId: "tutorial"
    edits: [
      { replaceText: { find: "Hello", replace: "Hello, world" } }
      { insertText: { index: 0, text: "Notes: ", attributes: { bold: true } } }
    ]
  }) {
    version
    delta
    actor { kind tokenName runId user { name } }
  }
}

mutation RevertRun($documentId: ID!) {
  revertRun(documentId: $documentId, runId: "tutorial") {
    version
    delta
    actor { kind runId user { name } }
  }
}
`,
    variables: withDocument,
    headers: withToken,
  },
  {
    query: `# More: version history. After tabs 4 and 6 the document
# has versions 1 to 4. History groups versions into sessions (a
# pause of 5 minutes ends one; so does a named version), newest
# first; page with the last entry's toVersion as beforeVersion.
# Name a version, then run History again: the entry ending at
# it carries the name. Export gives the content at any version
# as TEXT, MARKDOWN or HTML.
mutation NameVersion($documentId: ID!) {
  nameVersion(documentId: $documentId, version: 1, name: "First draft") {
    version
    name
    author { name }
  }
}

query History($documentId: ID!) {
  document(id: $documentId) {
    history(first: 20) {
      fromVersion
      toVersion
      name
      authors { name }
      startedAt
      endedAt
    }
    namedVersions { version name }
    markdown: export(format: MARKDOWN)
    firstDraft: export(format: HTML, version: 1)
  }
}
`,
    variables: withDocument,
    headers: withToken,
  },
  {
    query: `# More: change events for backends. DocumentEvents streams
# the events of your documents from the outbox, over WebSocket
# (a second window, as tab 3): with after: "0", every event so
# far (CREATED, CHANGED with its range of versions, RENAMED, ...),
# then live ones. Keep the last id you saw and resume with
# after: "<id>": nothing missed, nothing twice. Without after:
# live events only. CreateWebhook sends the same events to a URL
# of yours, signed with its secret (docs/protocol.md, "Events
# and webhooks"); private and loopback URLs are refused.
subscription DocumentEvents {
  documentEvents(after: "0") {
    id
    kind
    documentId
    fromVersion
    toVersion
    at
    actor { kind tokenName user { name } }
  }
}

mutation CreateWebhook {
  createWebhook(url: "https://example.com/hooks/collab", events: [CHANGED, RENAMED, DELETED]) {
    id
    secret
  }
}
`,
    headers: withToken,
  },
];
