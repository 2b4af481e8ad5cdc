package hostile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxKept is how much of a body an Answer keeps for the checks; the rest
// is read and counted.
const maxKept = 32 << 20

// Client sends corpus requests to one server.
type Client struct {
	base    *url.URL
	timeout time.Duration
	http    *http.Client
}

// NewClient returns a client for the server at base ("http://host:port")
// that gives each request timeout to be answered in full, and keeps up to
// conns connections open for the requests net/http can send.
func NewClient(base string, timeout time.Duration, conns int) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.Scheme != "http" {
		return nil, fmt.Errorf("hostile: base URL %q: want http://host:port", base)
	}
	tr := &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true, // a spec that wants gzip asks for it
		DialContext:         (&net.Dialer{Timeout: timeout}).DialContext,
	}
	return &Client{base: u, timeout: timeout, http: &http.Client{
		Transport: tr,
		// A redirect is an answer: never follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Timeout is the bound on one request.
func (c *Client) Timeout() time.Duration { return c.timeout }

// Answer is what a server answered to one request.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte // gunzipped when sent gzipped; at most maxKept bytes
	Took   time.Duration
	// Closed: the server closed the connection without an answer.
	Closed bool
	// Err is why there is no (whole) answer: the bound passed, the
	// connection broke. Nil when Closed.
	Err error
	// TimedOut: Err is the bound passing.
	TimedOut bool
}

// Send sends r and waits at most the client's timeout for the whole
// answer.
func (c *Client) Send(ctx context.Context, r *Request) Answer {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	var a Answer
	if r.Raw != nil {
		a = c.sendRaw(ctx, r.Raw, rawMethod(r.Raw))
	} else if raw := needsRaw(r); raw {
		a = c.sendRaw(ctx, c.rawOf(r), r.Method)
	} else {
		a = c.sendHTTP(ctx, r)
	}
	a.Took = time.Since(start)
	if a.Err != nil && (errors.Is(a.Err, context.DeadlineExceeded) || isTimeout(a.Err)) {
		a.TimedOut = true
	}
	return a
}

func (c *Client) sendHTTP(ctx context.Context, r *Request) Answer {
	u := *c.base
	path, query, hasQuery := strings.Cut(r.Path, "?")
	// Opaque: the path goes out as written, escapes and all.
	u.Opaque, u.RawQuery, u.ForceQuery = path, query, hasQuery && query == ""
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, c.base.String(), body)
	if err != nil {
		return Answer{Err: err}
	}
	req.URL = &u
	for k, v := range r.Header {
		if strings.EqualFold(k, "Host") {
			req.Host = v[0]
			continue
		}
		req.Header[k] = v
	}
	res, err := c.http.Do(req)
	if err != nil && ctx.Err() == nil && isClosed(err) {
		// The server answered nothing and closed, or closed while the
		// body was still being written (a body it did not want).
		return Answer{Closed: true}
	}
	if err != nil {
		return Answer{Err: err}
	}
	defer res.Body.Close()
	return readAnswer(res)
}

// sendRaw writes raw on a new connection and reads one response.
func (c *Client) sendRaw(ctx context.Context, raw []byte, method string) Answer {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.base.Host)
	if err != nil {
		return Answer{Err: err}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	// Written in the background: the server may answer, and close, before
	// it has read everything (a header too large, a body refused).
	go conn.Write(raw)
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		if isClosed(err) {
			return Answer{Closed: true}
		}
		if ctx.Err() != nil {
			return Answer{Err: ctx.Err()}
		}
		return Answer{Err: err}
	}
	defer res.Body.Close()
	a := readAnswer(res)
	if a.Err != nil && ctx.Err() != nil {
		a.Err = ctx.Err()
	}
	return a
}

func readAnswer(res *http.Response) Answer {
	a := Answer{Status: res.StatusCode, Header: res.Header}
	var buf bytes.Buffer
	_, err := io.Copy(&buf, io.LimitReader(res.Body, maxKept))
	if err == nil {
		_, err = io.Copy(io.Discard, res.Body)
	}
	if err != nil {
		a.Err = fmt.Errorf("reading the body: %w", err)
	}
	a.Body = buf.Bytes()
	if res.Header.Get("Content-Encoding") == "gzip" && len(a.Body) > 0 {
		zr, err := gzip.NewReader(bytes.NewReader(a.Body))
		if err != nil {
			a.Err = fmt.Errorf("gzip body: %w", err)
			return a
		}
		var plain bytes.Buffer
		if _, err := io.Copy(&plain, io.LimitReader(zr, maxKept)); err != nil {
			a.Err = fmt.Errorf("gzip body: %w", err)
		}
		a.Body = plain.Bytes()
	}
	return a
}

// isClosed reports whether err means that the server closed the
// connection.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// needsRaw reports whether net/http's client would refuse r or send it
// otherwise than written: control characters or spaces in the path, a path
// starting with //, odd methods, header names or values it rejects, and
// framing headers it would replace (Content-Length, Transfer-Encoding).
func needsRaw(r *Request) bool {
	if strings.HasPrefix(r.Path, "//") || !isToken(r.Method) || r.Method == http.MethodConnect {
		return true
	}
	for i := 0; i < len(r.Path); i++ {
		if b := r.Path[i]; b <= ' ' || b >= 0x7f {
			return true
		}
	}
	for k, vs := range r.Header {
		if !isToken(k) || strings.EqualFold(k, "Content-Length") || strings.EqualFold(k, "Transfer-Encoding") {
			return true
		}
		for _, v := range vs {
			for i := 0; i < len(v); i++ {
				if b := v[i]; (b < ' ' && b != '\t') || b == 0x7f {
					return true
				}
			}
		}
	}
	return false
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b <= ' ' || b >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, b) >= 0 {
			return false
		}
	}
	return true
}

// rawOf writes r as HTTP/1.1 bytes, headers as given: Host and
// Content-Length are added unless the spec sets them.
func (c *Client) rawOf(r *Request) []byte {
	var b bytes.Buffer
	b.WriteString(r.Method + " " + r.Path + " HTTP/1.1\r\n")
	has := func(name string) bool {
		for k := range r.Header {
			if strings.EqualFold(k, name) {
				return true
			}
		}
		return false
	}
	if !has("Host") {
		b.WriteString("Host: " + c.base.Host + "\r\n")
	}
	if !has("Content-Length") && !has("Transfer-Encoding") && len(r.Body) > 0 {
		b.WriteString("Content-Length: " + strconv.Itoa(len(r.Body)) + "\r\n")
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
	return b.Bytes()
}

// rawMethod is the method of a raw request (HEAD answers have no body).
func rawMethod(raw []byte) string {
	m, _, _ := bytes.Cut(raw, []byte(" "))
	return string(m)
}

// WithTimeout returns a client like c with another bound, sharing its
// connections.
func (c *Client) WithTimeout(d time.Duration) *Client {
	cc := *c
	cc.timeout = d
	return &cc
}
