// Package ncframe is NETCONF's transport framing (RFC 6242) over any byte
// stream: end-of-message "]]>]]>" (base:1.0) and chunked "\n#len\n...\n##\n"
// (base:1.1). The NETCONF adapter (adapters/netconf) and the simulated lab's
// server (lab/netconfsrv) both use it; it knows nothing of SSH or XML.
//
// A Framer reads and writes whole messages. Reads block on the underlying
// reader, so a session that waits for a message costs no CPU. A message is
// bounded (Max, default MaxMessage); a stream that breaks the framing gives
// an error matching ErrFrame and cannot be resumed.
//
// Concurrency: a Framer is not safe for concurrent use, except that one
// goroutine may read while another writes (reads and writes share no state
// but Chunked, which is set once, before either starts, after the hellos).
package ncframe
