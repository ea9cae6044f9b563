// Package config holds netagent's run-time configuration and loads it from
// three sources in increasing order of precedence: a YAML file, NETAGENT_*
// environment variables, and command-line flags (applied by cmd, which knows
// which flags the user set).
//
// Every field has a working default, so `netagent serve` with no file and no
// flags starts the agent on loopback against the simulated lab with the
// embedded store. Load never logs values: credentials live in referenced
// files or variables, not in this struct.
package config
