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
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		ErrorLog:          errorLog,
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
func rewriteServerError(b []byte) (out []byte, ok bool) {
	rest, found := bytes.CutPrefix(b, []byte("HTTP/1.1 "))
	if !found {
		return nil, false
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
	p := problem{Type: "about:blank", Title: http.StatusText(code), Status: code, Detail: serverErrorDetail(code, reason, string(body))}
	js, err := json.Marshal(p)
	if err != nil {
		return nil, false
	}
	var buf bytes.Buffer
	buf.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	buf.WriteString("Content-Type: application/problem+json\r\n")
	buf.WriteString("Cache-Control: no-store\r\n")
	buf.WriteString("X-Content-Type-Options: nosniff\r\n")
	buf.WriteString("Date: " + time.Now().UTC().Format(http.TimeFormat) + "\r\n")
	buf.WriteString("Content-Length: " + strconv.Itoa(len(js)+1) + "\r\n")
	buf.WriteString("Connection: close\r\n\r\n")
	buf.Write(js)
	buf.WriteByte('\n')
	return buf.Bytes(), true
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
	case reason != "":
		return reason
	default:
		return http.StatusText(code)
	}
}
