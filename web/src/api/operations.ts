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
  query DocumentList {
    documents(first: 100) {
      edges {
        node {
          id
          title
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

export const History = graphql(`
  query History($id: ID!, $after: Int!) {
    document(id: $id) {
      id
      version
      operations(afterVersion: $after, first: 200) {
        version
        createdAt
        author { id name }
      }
    }
  }
`);

export const VersionPreview = graphql(`
  query VersionPreview($id: ID!, $before: Int!) {
    document(id: $id) {
      id
      before: contentAt(version: $before)
      operations(afterVersion: $before, first: 1) {
        version
        delta
        createdAt
        author { id name }
      }
    }
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

export const DocumentPresence = graphql(`
  subscription DocumentPresence($documentId: ID!) {
    documentPresence(documentId: $documentId) {
      clientId
      version
      index
      length
      left
      user { id name }
    }
  }
`);

// Comment threads (docs/protocol.md §11): the list is read again whenever
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
        comments { id body createdAt editedAt author { id name } }
      }
    }
  }
`);

export const DocumentThreads = graphql(`
  subscription DocumentThreads($documentId: ID!) {
    documentThreads(documentId: $documentId) { id }
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
