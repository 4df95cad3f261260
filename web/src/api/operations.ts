// Every GraphQL operation the web client sends, typed by GraphQL Code
// Generator from the committed schema.graphql (`npm run codegen` writes
// ../gql/; a document that does not match the schema fails codegen, which
// runs before the web type check in `npm test`).
import { graphql } from '../gql/index.ts';

export const SignUp = graphql(`
  mutation SignUp($email: String!, $password: String!, $name: String!) {
    signUp(email: $email, password: $password, name: $name) {
      accessToken
      expiresAt
      user { id email name }
    }
  }
`);

export const LogIn = graphql(`
  mutation LogIn($email: String!, $password: String!) {
    logIn(email: $email, password: $password) {
      accessToken
      expiresAt
      user { id email name }
    }
  }
`);

export const RefreshSession = graphql(`
  mutation RefreshSession {
    refreshSession {
      accessToken
      expiresAt
      user { id email name }
    }
  }
`);

export const LogOut = graphql(`
  mutation LogOut {
    logOut
  }
`);

export const DocumentList = graphql(`
  query DocumentList($first: Int!, $after: String, $titleContains: String) {
    documents(first: $first, after: $after, titleContains: $titleContains) {
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          title
          preview
          updatedAt
          myRole
          members { role user { id name } }
        }
      }
    }
  }
`);

export const CreateDocument = graphql(`
  mutation CreateDocument($title: String!, $content: Delta) {
    createDocument(title: $title, content: $content) { id }
  }
`);

export const RenameDocument = graphql(`
  mutation RenameDocument($id: ID!, $title: String!) {
    renameDocument(id: $id, title: $title) { id title }
  }
`);

export const DeleteDocument = graphql(`
  mutation DeleteDocument($id: ID!) {
    deleteDocument(id: $id)
  }
`);

export const OpenDocument = graphql(`
  query OpenDocument($id: ID!) {
    document(id: $id) {
      id
      title
      myRole
      version
      content
    }
  }
`);

export const HeadDocument = graphql(`
  query HeadDocument($id: ID!) {
    document(id: $id) {
      version
      content
    }
  }
`);

export const Members = graphql(`
  query Members($id: ID!) {
    document(id: $id) {
      id
      myRole
      members { role user { id email name } }
    }
  }
`);

export const ShareDocument = graphql(`
  mutation ShareDocument($id: ID!, $email: String!, $role: Role!) {
    shareDocument(id: $id, email: $email, role: $role) { role user { id email name } }
  }
`);

export const RemoveMember = graphql(`
  mutation RemoveMember($documentId: ID!, $userId: ID!) {
    removeMember(documentId: $documentId, userId: $userId)
  }
`);

export const HistorySessions = graphql(`
  query HistorySessions($id: ID!, $first: Int, $before: Int) {
    document(id: $id) {
      id
      version
      history(first: $first, beforeVersion: $before) {
        fromVersion
        toVersion
        name
        startedAt
        endedAt
        authors { id name }
      }
    }
  }
`);

export const SessionVersions = graphql(`
  query SessionVersions($id: ID!, $after: Int!, $first: Int!) {
    document(id: $id) {
      id
      operations(afterVersion: $after, first: $first) {
        version
        createdAt
        author { id name }
        actor { kind tokenName }
      }
    }
  }
`);

export const CompareVersions = graphql(`
  query CompareVersions($id: ID!, $base: Int!, $target: Int!) {
    document(id: $id) {
      id
      base: contentAt(version: $base)
      target: contentAt(version: $target)
    }
  }
`);

export const NameVersion = graphql(`
  mutation NameVersion($documentId: ID!, $version: Int!, $name: String!) {
    nameVersion(documentId: $documentId, version: $version, name: $name) { version name }
  }
`);

export const ExportDocument = graphql(`
  query ExportDocument($id: ID!, $format: ExportFormat!, $version: Int) {
    document(id: $id) {
      id
      title
      export(format: $format, version: $version)
    }
  }
`);

export const ImportDocument = graphql(`
  mutation ImportDocument($title: String!, $format: ExportFormat!, $text: String!) {
    importDocument(title: $title, format: $format, text: $text) { id }
  }
`);

export const RestoreVersion = graphql(`
  mutation RestoreVersion($documentId: ID!, $version: Int!) {
    restoreVersion(documentId: $documentId, version: $version) { version }
  }
`);

export const SubmitOperation = graphql(`
  mutation SubmitOperation($input: SubmitOperationInput!) {
    submitOperation(input: $input) { version }
  }
`);

export const UpdatePresence = graphql(`
  mutation UpdatePresence($documentId: ID!, $clientId: String!, $version: Int!, $index: Int!, $length: Int!) {
    updatePresence(documentId: $documentId, clientId: $clientId, version: $version, index: $index, length: $length)
  }
`);

// The batched form of documentOperations: one message per group commit.
export const DocumentOperationBatches = graphql(`
  subscription DocumentOperationBatches($documentId: ID!, $afterVersion: Int!) {
    documentOperationBatches(documentId: $documentId, afterVersion: $afterVersion) {
      version
      delta
      clientId
      clientSeq
    }
  }
`);

// Batches: one message per 50 ms with each client's latest state, however many people move.
export const DocumentPresence = graphql(`
  subscription DocumentPresence($documentId: ID!) {
    documentPresenceBatches(documentId: $documentId) {
      clientId
      version
      index
      length
      left
      user { id name }
    }
  }
`);

export const ShareLinks = graphql(`
  query ShareLinks($id: ID!) {
    document(id: $id) {
      id
      shareLinks { id role createdAt }
    }
  }
`);

export const CreateShareLink = graphql(`
  mutation CreateShareLink($id: ID!, $role: Role!) {
    createShareLink(documentId: $id, role: $role) {
      secret
      link { id role createdAt }
    }
  }
`);

export const RevokeShareLink = graphql(`
  mutation RevokeShareLink($id: ID!) {
    revokeShareLink(id: $id)
  }
`);

export const JoinDocument = graphql(`
  mutation JoinDocument($secret: String!) {
    joinDocument(secret: $secret) { id }
  }
`);

// Comment threads (docs/protocol.md, "Comment threads"): the list is read again whenever
// documentThreads says one changed; the panel is small, the list too.
export const Threads = graphql(`
  query Threads($id: ID!) {
    document(id: $id) {
      id
      threads {
        id
        quote
        status
        anchor { version index length }
        comments { id body createdAt editedAt author { id name } mentions { id name } }
      }
    }
  }
`);

export const DocumentThreads = graphql(`
  subscription DocumentThreads($documentId: ID!) {
    documentThreads(documentId: $documentId) {
      id
      quote
      status
      anchor { version index length }
      comments { id body createdAt editedAt author { id name } mentions { id name } }
    }
  }
`);

export const OpenThread = graphql(`
  mutation OpenThread($documentId: ID!, $version: Int!, $index: Int!, $length: Int!, $body: String!) {
    openThread(documentId: $documentId, version: $version, index: $index, length: $length, body: $body) { id }
  }
`);

export const ReplyToThread = graphql(`
  mutation ReplyToThread($threadId: ID!, $body: String!) {
    replyToThread(threadId: $threadId, body: $body) { id }
  }
`);

export const ResolveThread = graphql(`
  mutation ResolveThread($threadId: ID!) {
    resolveThread(threadId: $threadId) { id status }
  }
`);

export const ReopenThread = graphql(`
  mutation ReopenThread($threadId: ID!) {
    reopenThread(threadId: $threadId) { id status }
  }
`);

// Suggestions (docs/protocol.md §15): the open ones, read again whenever
// documentSuggestions says one was made or settled.
export const OpenSuggestions = graphql(`
  query OpenSuggestions($id: ID!) {
    document(id: $id) {
      id
      suggestions(status: OPEN) { id status version delta createdAt author { id name } }
    }
  }
`);

// Typing in suggesting mode: one suggestion per burst of keystrokes; the
// answer is placed at once, before the list is read again.
export const Suggest = graphql(`
  mutation Suggest($input: SuggestInput!) {
    suggest(input: $input) { id status version delta createdAt author { id name } }
  }
`);

export const DocumentSuggestions = graphql(`
  subscription DocumentSuggestions($documentId: ID!) {
    documentSuggestions(documentId: $documentId) { id status version delta createdAt author { id name } }
  }
`);

export const AcceptSuggestion = graphql(`
  mutation AcceptSuggestion($suggestionId: ID!) {
    acceptSuggestion(suggestionId: $suggestionId) { version }
  }
`);

export const RejectSuggestion = graphql(`
  mutation RejectSuggestion($suggestionId: ID!) {
    rejectSuggestion(suggestionId: $suggestionId) { id status }
  }
`);

export const DocumentRenamed = graphql(`
  subscription DocumentRenamed($documentId: ID!) {
    documentRenamed(documentId: $documentId) { id title }
  }
`);
