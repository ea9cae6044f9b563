// Package trace carries a W3C Trace Context trace id with the work: accepted
// from a caller's traceparent header or started at the edge, kept in the
// context, stored with the intent, written on its audit entries and on the
// log lines of its device operations. It is a leaf: any package may import
// it. Spans and exporters, if wanted, sit on top (OpenTelemetry's API takes
// the same ids).
package trace
