// `npm run mcp`: a Model Context Protocol server over stdio that reads and
// edits documents through the API with an API token (docs/protocol.md,
// "Writing agents and backends", MCP). stdout carries the protocol; anything
// for people goes to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createCollabApi } from './collab-api.ts';
import { loadMcpConfig, McpConfigError } from './config.ts';
import { createGraphQLClient } from './graphql-client.ts';
import { createMcpServer } from './tools.ts';

let config;
try {
  config = loadMcpConfig(process.env);
} catch (error) {
  if (!(error instanceof McpConfigError)) throw error;
  console.error(`collab MCP server: ${error.message}`);
  process.exit(2);
}

const server = createMcpServer(createCollabApi(createGraphQLClient(config)));
await server.connect(new StdioServerTransport());
console.error(`collab MCP server: on stdio, API ${config.graphqlUrl}`);
