// Package ws is the WebSocket connection after the handshake, the server's side of it: RFC 6455
// framing read and written by hand, the read path with its pooled buffers, fragmentation,
// control frames, pings under a read deadline and a message rate limit, the bounded write queue,
// the ring of replaceable frames and the direct write from the caller's goroutine, and the
// closing handshake. It knows nothing of accounts, tokens, lobbies or games: a session on top
// implements Handler, and uses a Conn's Send, SendLatest, Close and SetAlarm.
//
// On Linux a plain TCP socket takes a fast path (conn_linux.go, poll_linux.go): it is read by
// one of a few pollers, epoll loops that read every ready socket in one wake-up, and its
// replaceable frames are written straight from the caller's goroutine, with bare system calls.
// Behind TLS, on other systems, and with the tickwire_portable build tag, every socket goes
// through net.Conn (conn_portable.go); both behave the same on the wire.
//
// Concurrency: a Conn is read by its poller (Start), or by one reader goroutine (Run) for its
// whole life; a polled Conn's messages that may wait, and its end, are handled on a goroutine
// of its own while they last. It has a writer goroutine that runs only while there are frames
// to send, and one timer (pings and the handler's alarm).
// Send, SendLatest, Close and SetAlarm may be called from any goroutine and never block on the
// peer; a Conn's mutex is never held across I/O nor while it calls its Handler.
package ws
