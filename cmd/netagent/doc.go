// Command netagent is the intent-driven network automation agent.
//
//	netagent serve              run the agent (API, intents, adapters); starts the simulated lab when no inventory is given
//	netagent lab up|list|gen|fault   run and drive the simulated lab
//	netagent intent submit|plan|get|list|parse|withdraw   talk to a running agent
//	netagent device get|set|ping   one device through the adapters (set is audited)
//	netagent audit verify|show   check and read the audit log in the data dir
//	netagent version
//
// main only builds the root context (cancelled on SIGINT and SIGTERM) and
// runs the cobra command tree; every subcommand calls into a package
// (internal/agent, lab, intent) that tests reach directly. Configuration
// comes from a YAML file, NETAGENT_* variables and flags, in increasing
// precedence (internal/config).
package main
