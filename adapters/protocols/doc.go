// Package protocols registers the protocol adapters netagent ships
// (NETCONF, gNMI, CLI over SSH) in one adapters.Registry, so the agent,
// the commands and the tests open devices through the same set.
package protocols
