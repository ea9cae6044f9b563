// Package rest is the intent REST API on the agent's HTTP server:
//
//	POST   /v1/intents          submit (202 + Location; 200 for a duplicate or dry run)
//	POST   /v1/intents:plan     dry run: the plan, nothing applied
//	GET    /v1/intents          list, filtered by state, paged
//	GET    /v1/intents/{id}     one record: state, plan, history
//	DELETE /v1/intents/{id}     withdraw, removing what it configured
//	POST   /v1/intents:parse    natural language to an intent, or a question
//	GET    /v1/schemas[/{kind}] the intent kinds and their JSON Schemas
//	GET|PUT /v1/nl/rules        the natural-language rule set, reloadable
//	GET    /v1/openapi.json     the OpenAPI 3.1 description of all of this
//
// Every handler calls intent.Service (or the nl.Parser), the same entry
// point Kafka, files and MCP use, so every intake behaves the same. Errors
// are RFC 9457 problem details (application/problem+json); a refused intent
// carries every problem found, each with a JSON pointer and a reason, and
// the stage that refused it. Status codes: 400 malformed, 413 too large,
// 415 not JSON, 422 invalid (schema or semantic), 404, 409 conflict.
// This package is the only place intent errors become HTTP codes.
//
// Authentication and scopes are applied by the agent around these
// handlers. A Handler is safe for concurrent use.
package rest
