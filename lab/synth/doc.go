// Package synth is the simulated lab's synthetic telemetry: CPU, memory,
// power supplies, interface counters and oper status, link latency, loss and
// jitter, route convergence after link events, application mix, session
// counts and traffic peaks. Every figure is a deterministic function of the
// seed, the device or link and the time since the model's epoch, so two
// labs started with the same seed report the same series; link events and
// scripted anomalies (CPU spike, latency climb, loss burst, PSU failure,
// traffic surge, garbage values) change them on purpose.
//
// Counters are closed-form integrals of a smooth rate, so they only grow.
// The package computes on demand and runs no goroutines: a thousand idle
// devices cost nothing. Model is safe for concurrent use.
//
// State returns the figures as gNMI path/value points; the paths are listed
// in the lab package documentation.
package synth
