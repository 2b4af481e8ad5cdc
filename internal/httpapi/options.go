package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/civilprotection"
)

// routedMethods are the methods routes are registered for, in the order
// Allow lists them; HEAD follows GET (middleware.GetHead) and OPTIONS is
// answered for every resource by options.
var routedMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// tokenRule says whether a caller may use a routed method at all: it is
// what OPTIONS with a token leaves out. params are the route's URL
// parameters.
type tokenRule func(p *auth.Principal, params *chi.Context) bool

// tokenRules lists, by "METHOD pattern", the routes that need a token;
// every other route is public. A test walks the router so that a write
// route cannot be added without its rule.
var tokenRules = func() map[string]tokenRule {
	writeSomewhere := func(p *auth.Principal, _ *chi.Context) bool { return canSomewhere(p, auth.Write) }
	onComune := func(a auth.Action) tokenRule {
		return func(p *auth.Principal, c *chi.Context) bool { return p.Can(a, c.URLParam("istat")) == nil }
	}
	rules := map[string]tokenRule{
		// Part 4: the comune of a feature is checked when it is written
		// (403); without one, a token that may write in some comune of
		// the layer is offered the write methods.
		"POST /collections/{collectionId}/items":               writeSomewhere,
		"PUT /collections/{collectionId}/items/{featureId}":    writeSomewhere,
		"PATCH /collections/{collectionId}/items/{featureId}":  writeSomewhere,
		"DELETE /collections/{collectionId}/items/{featureId}": writeSomewhere,

		// Personal data and writes of one comune: its code is in the path.
		"GET /civil-protection/plans/{istat}/crisis-unit":         onComune(auth.ReadPrivate),
		"POST /civil-protection/plans/{istat}/crisis-unit":        onComune(auth.Write),
		"GET /civil-protection/plans/{istat}/crisis-unit/{id}":    onComune(auth.ReadPrivate),
		"PUT /civil-protection/plans/{istat}/crisis-unit/{id}":    onComune(auth.Write),
		"PATCH /civil-protection/plans/{istat}/crisis-unit/{id}":  onComune(auth.Write),
		"DELETE /civil-protection/plans/{istat}/crisis-unit/{id}": onComune(auth.Write),

		// A community spans comuni, all of which the token must cover;
		// which ones is known only when it is written.
		"POST /energy/communities":        writeSomewhere,
		"PATCH /energy/communities/{id}":  writeSomewhere,
		"DELETE /energy/communities/{id}": writeSomewhere,
	}
	for _, t := range civilprotection.Transitions {
		rules["POST /civil-protection/plans/{istat}/"+string(t)] = onComune(t.Action())
	}
	return rules
}()

// publicWrites are the non-GET routes that need no token.
var publicWrites = []string{"POST /coverage/stats"}

// canSomewhere reports whether p may take action a in at least one comune.
func canSomewhere(p *auth.Principal, a auth.Action) bool {
	if p == nil {
		return false
	}
	if p.Role == auth.Admin {
		return true
	}
	for _, c := range p.Comuni {
		if p.Can(a, c) == nil {
			return true
		}
	}
	return false
}

// options answers OPTIONS on every resource (RFC 9110 §9.3.7): 204 with an
// Allow that tells the truth for the resource and, when a token is sent,
// for that token; a CORS preflight gets the same list as
// Access-Control-Allow-Methods. It runs after authenticate.
func (s *Server) options(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if r.RequestURI == "*" {
			// "OPTIONS *" asks about the server as a whole (RFC 9110
			// §9.3.7): the methods some resource supports.
			w.Header().Set("Allow", strings.Join(append(slices.Insert(slices.Clone(routedMethods), 1, http.MethodHead), http.MethodOptions), ", "))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		methods, err := s.resourceMethods(r, auth.FromContext(r.Context()))
		if err != nil {
			writeError(w, r, err)
			return
		}
		allow := strings.Join(methods, ", ")
		h := w.Header()
		h.Set("Allow", allow)
		if isPreflight(r) && h.Get("Access-Control-Allow-Origin") != "" {
			h.Set("Access-Control-Allow-Methods", allow)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// methodNotAllowed answers 405 with the Allow header RFC 9110 §15.5.6
// requires: the methods the resource supports, whoever asks.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	methods, err := s.resourceMethods(r, nil)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeProblem(w, problem{
		Type: "about:blank", Title: http.StatusText(http.StatusMethodNotAllowed), Status: http.StatusMethodNotAllowed,
		Detail: r.Method + " is not allowed on " + r.URL.Path + "; use " + strings.Join(methods, ", "), Instance: redactedRequestURI(r),
		RequestID: middleware.GetReqID(r.Context()),
	})
}

// resourceMethods lists the methods of the resource at the request's path:
// those routed there, less the writes of a read-only layer and, for a
// principal p, those it may not use at all. An unknown path or collection
// is NotFound.
func (s *Server) resourceMethods(r *http.Request, p *auth.Principal) ([]string, error) {
	rctx := chi.RouteContext(r.Context())
	path := routePath(r)
	var out []string
	found := false
	for _, m := range routedMethods {
		params := chi.NewRouteContext()
		pattern := rctx.Routes.Find(params, m, path)
		if pattern == "" {
			continue
		}
		found = true
		ok, err := s.mayUse(m, pattern, params, p)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
			if m == http.MethodGet {
				out = append(out, http.MethodHead)
			}
		}
	}
	if !found {
		return nil, apperr.New("httpapi.options", apperr.NotFound, "no resource at %s", r.URL.Path)
	}
	return append(out, http.MethodOptions), nil
}

// mayUse says whether method m of the route pattern applies to the
// resource named by params, for the principal p (nil: whoever has the
// right token).
func (s *Server) mayUse(m, pattern string, params *chi.Context, p *auth.Principal) (bool, error) {
	id := params.URLParam("collectionId")
	if id == "" {
		id = params.URLParam("layer")
	}
	if id != "" {
		l, err := s.layer(id)
		if err != nil {
			return false, err
		}
		if m != http.MethodGet && strings.HasPrefix(pattern, "/collections/{collectionId}/items") && (l.Edit == nil || s.writer == nil) {
			return false, nil
		}
	}
	if p == nil {
		return true, nil
	}
	rule, ok := tokenRules[m+" "+pattern]
	return !ok || rule(p, params), nil
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// routePath is the path chi routes on.
func routePath(r *http.Request) string {
	if r.URL.RawPath != "" {
		return r.URL.RawPath
	}
	return r.URL.Path
}

// routePattern returns the route pattern of the request: the one chi
// matched, or for a request answered before routing (OPTIONS, a malformed
// query) the one it would match; "" when none does.
func routePattern(r *http.Request) string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil {
		return ""
	}
	if p := rctx.RoutePattern(); p != "" {
		return p
	}
	if rctx.Routes == nil {
		return ""
	}
	path := routePath(r)
	methods := routedMethods
	if slices.Contains(routedMethods, r.Method) {
		methods = append([]string{r.Method}, routedMethods...)
	}
	for _, m := range methods {
		if p := rctx.Routes.Find(chi.NewRouteContext(), m, path); p != "" {
			return p
		}
	}
	return ""
}
