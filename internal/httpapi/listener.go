package httpapi

import (
	"bytes"
	"encoding/json"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Timeouts bound how long a client may take over a request on the wire.
type Timeouts struct {
	// ReadHeader bounds the request line and headers.
	ReadHeader time.Duration
	// Read bounds the whole request, body included; a body still
	// unfinished then is answered 408 (see bodyDeadline).
	Read time.Duration
	// Write bounds the response; it must outlast the request budget.
	Write time.Duration
	// Idle bounds a keep-alive connection between requests.
	Idle time.Duration
}

// DefaultTimeouts are the timeouts of `atlante serve` for a request budget.
func DefaultTimeouts(requestTimeout time.Duration) Timeouts {
	return Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: requestTimeout + 30*time.Second, Idle: 2 * time.Minute}
}

// NewHTTPServer returns the http.Server for h with the timeouts t. Serve it
// on a listener wrapped by Listener, so that the requests net/http refuses
// by itself are answered with problem+json too.
func NewHTTPServer(h http.Handler, t Timeouts, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		// "OPTIONS *" goes to the handler like any request, so that it
		// gets the security headers and an Allow (see Server.options).
		DisableGeneralOptionsHandler: true,
		ReadTimeout:                  t.Read,
		WriteTimeout:                 t.Write,
		IdleTimeout:                  t.Idle,
		ErrorLog:                     errorLog,
	}
}

// Listener wraps ln so that the fixed text/plain error responses net/http
// writes before any handler runs (a malformed request line such as
// "GET /% HTTP/1.1", a missing Host, a bad header) reach the client as RFC
// 9457 problem+json like every other error.
func Listener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &problemConn{Conn: c}, nil
}

// problemConn rewrites net/http's own error responses. net/http (server.go,
// conn.serve) writes them straight to the connection in one Write, as
//
//	"HTTP/1.1 " + status + errorHeaders + body
//
// with errorHeaders below and nothing else: no Date, no Content-Length.
// Responses from handlers always carry a Date header, so they never match.
type problemConn struct {
	net.Conn
}

const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *problemConn) Write(b []byte) (int, error) {
	if out, ok := rewriteServerError(b); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// rewriteServerError turns one of net/http's fixed error responses into a
// problem+json response; ok is false for anything else.
//
// RFC 9112 §6.1 suggests 501 for a transfer coding the server does not
// know and RFC 9110 §15.6.6 505 for another major HTTP version: both are
// requests the server cannot read, answered 400 like every other request
// that cannot be read, so that a 5xx always means a fault of the service.
func rewriteServerError(b []byte) (out []byte, ok bool) {
	rest, found := bytes.CutPrefix(b, []byte("HTTP/1.1 "))
	if !found {
		return nil, false
	}
	if bytes.HasPrefix(rest, []byte(expectationFailed)) && bytes.HasSuffix(rest, []byte("\r\nContent-Length: 0\r\n\r\n")) {
		return problemResponse(http.StatusExpectationFailed,
			"The Expect header asks for something this server does not do; send no Expect header, or Expect: 100-continue."), true
	}
	statusLine, body, found := bytes.Cut(rest, []byte(netHTTPErrorHeaders))
	if !found || len(statusLine) < 4 || statusLine[3] != ' ' {
		return nil, false
	}
	code, err := strconv.Atoi(string(statusLine[:3]))
	if err != nil || code < 400 || code > 599 {
		return nil, false
	}
	// "400 Bad Request: missing required Host header" carries its reason
	// after the status text; the plain "400 Bad Request" comes from a
	// request line or header that could not be parsed.
	_, reason, _ := strings.Cut(string(statusLine[4:]), ": ")
	detail := serverErrorDetail(code, reason, string(body))
	if code == http.StatusNotImplemented || code == http.StatusHTTPVersionNotSupported {
		code = http.StatusBadRequest
	}
	return problemResponse(code, detail), true
}

// expectationFailed starts the response net/http sends by itself to an
// Expect header other than 100-continue (server.go, sendExpectationFailed):
// no handler runs, and Atlante's handlers never answer 417.
const expectationFailed = "417 Expectation Failed\r\n"

// problemResponse is a whole HTTP/1.1 response carrying a problem, with
// the headers every Atlante answer has, closing the connection.
func problemResponse(code int, detail string) []byte {
	p := problem{Type: "about:blank", Title: http.StatusText(code), Status: code, Detail: detail}
	js, _ := json.Marshal(p) // plain strings cannot fail to encode
	var buf bytes.Buffer
	buf.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	buf.WriteString("Content-Type: application/problem+json\r\n")
	buf.WriteString("Cache-Control: no-store\r\n")
	buf.WriteString("X-Content-Type-Options: nosniff\r\n")
	buf.WriteString("Referrer-Policy: strict-origin-when-cross-origin\r\n")
	buf.WriteString("Date: " + time.Now().UTC().Format(http.TimeFormat) + "\r\n")
	buf.WriteString("Content-Length: " + strconv.Itoa(len(js)+1) + "\r\n")
	buf.WriteString("Connection: close\r\n\r\n")
	buf.Write(js)
	buf.WriteByte('\n')
	return buf.Bytes()
}

// serverErrorDetail says what to fix for the errors net/http answers itself.
func serverErrorDetail(code int, reason, body string) string {
	switch {
	case code == http.StatusBadRequest && reason != "":
		return "The request cannot be read: " + reason + "."
	case code == http.StatusBadRequest:
		return "The request line or a header cannot be read. Check that the path and query are correctly percent-encoded " +
			"(a literal % must be sent as %25; %zz is not an escape) and that every header line is well formed."
	case code == http.StatusRequestHeaderFieldsTooLarge:
		return "The request headers are too large; send fewer or shorter headers."
	case code == http.StatusNotImplemented && strings.Contains(body, "transfer encoding"):
		return "The request's Transfer-Encoding is not supported; send the body with Content-Length or chunked."
	case code == http.StatusHTTPVersionNotSupported:
		return "The request's HTTP version is not supported; send HTTP/1.1 (or HTTP/1.0)."
	case reason != "":
		return reason
	default:
		return http.StatusText(code)
	}
}
