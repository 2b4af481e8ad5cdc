package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/urfave/cli/v3"
	"golang.org/x/sync/errgroup"

	"github.com/cremasco/atlante/internal/app"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/httpapi"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/viewer"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "migrate the database and serve the API, the tiles and the map",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: ":8080", Sources: cli.EnvVars("ATLANTE_ADDR"), Usage: "listen address"},
			&cli.StringFlag{Name: "base-url", Sources: cli.EnvVars("ATLANTE_BASE_URL"),
				Usage: "public URL used in links (default: from each request's Host)"},
			&cli.BoolFlag{Name: "demo", Sources: cli.EnvVars("ATLANTE_DEMO"),
				Usage: "load the synthetic demo data when the database has no comuni yet"},
			&cli.DurationFlag{Name: "request-timeout", Value: 60 * time.Second, Sources: cli.EnvVars("ATLANTE_REQUEST_TIMEOUT"),
				Usage: "time budget of one request"},
			&cli.DurationFlag{Name: "query-timeout", Value: 25 * time.Second, Sources: cli.EnvVars("ATLANTE_QUERY_TIMEOUT"),
				Usage: "PostgreSQL statement_timeout for serving"},
			&cli.IntFlag{Name: "heavy-requests", Value: httpapi.DefaultHeavyRequests, Sources: cli.EnvVars("ATLANTE_HEAVY_REQUESTS"),
				Usage: "expensive requests (area statistics, feature writes, exposure) of each kind run at once; more get 503"},
			&cli.IntFlag{Name: "tile-cache-mb", Value: 256, Sources: cli.EnvVars("ATLANTE_TILE_CACHE_MB"),
				Usage: "size of the in-memory tile cache (0 disables it)"},
			&cli.IntFlag{Name: "tile-prebuild-mb", Value: 64, Sources: cli.EnvVars("ATLANTE_TILE_PREBUILD_MB"),
				Usage: "memory for the tiles of small layers built in advance after each data change (0: build them on request)"},
			&cli.DurationFlag{Name: "version-poll", Value: time.Second, Sources: cli.EnvVars("ATLANTE_VERSION_POLL"),
				Usage: "how often to check whether layers changed (cache invalidation)"},
			&cli.StringFlag{Name: "cors-origins", Value: "*", Sources: cli.EnvVars("ATLANTE_CORS_ORIGINS"),
				Usage: "origins whose pages may call the API: * for any, a comma-separated list, or empty for none"},
			&cli.StringFlag{Name: "frame-ancestors", Value: "'self'", Sources: cli.EnvVars("ATLANTE_FRAME_ANCESTORS"),
				Usage: "who may show Atlante's pages in a frame (CSP frame-ancestors): 'self', 'none' or origins"},
			&cli.StringFlag{Name: "metrics-addr", Sources: cli.EnvVars("ATLANTE_METRICS_ADDR"),
				Usage: "serve /metrics on this address only, not on --addr (e.g. 127.0.0.1:9090)"},
			&cli.StringFlag{Name: "pprof-addr", Sources: cli.EnvVars("ATLANTE_PPROF_ADDR"),
				Usage: "serve Go's profiler (net/http/pprof, /debug/pprof/) on this private address (e.g. 127.0.0.1:6060); never on --addr"},
			&cli.DurationFlag{Name: "replica-max-lag", Value: store.DefaultMaxLag, Sources: cli.EnvVars("ATLANTE_REPLICA_MAX_LAG"),
				Usage: "public reads leave the read replica when it falls further behind the primary, and return when it catches up"},
			&cli.DurationFlag{Name: "drain-delay", Sources: cli.EnvVars("ATLANTE_DRAIN_DELAY"),
				Usage: "on SIGTERM, keep serving this long with /readyz answering 503, so load balancers stop sending first"},
			&cli.DurationFlag{Name: "shutdown-timeout", Value: 20 * time.Second, Sources: cli.EnvVars("ATLANTE_SHUTDOWN_TIMEOUT"),
				Usage: "on SIGTERM, after the drain delay, how long requests in flight may take to finish before they are cut"},
			&cli.StringFlag{Name: "basemap", Sources: cli.EnvVars("ATLANTE_BASEMAP"),
				Usage: "online basemap under the data: a MapLibre style URL or a raster tile template https://host/{z}/{x}/{y}.png (default: none)"},
			&cli.StringFlag{Name: "basemap-attribution", Sources: cli.EnvVars("ATLANTE_BASEMAP_ATTRIBUTION"),
				Usage: "the basemap's credit line, plain text (required for raster tiles other than OpenStreetMap's)"},
		},
		Action: serve,
	}
}

func serve(ctx context.Context, cmd *cli.Command) error {
	logger, err := newLogger(cmd)
	if err != nil {
		return err
	}
	if cmd.Int("heavy-requests") < 1 {
		return fmt.Errorf("--heavy-requests must be at least 1, not %d", cmd.Int("heavy-requests"))
	}
	if cmd.Duration("query-timeout") >= cmd.Duration("request-timeout") {
		return fmt.Errorf("--query-timeout (%s) must be shorter than --request-timeout (%s)", cmd.Duration("query-timeout"), cmd.Duration("request-timeout"))
	}
	corsOrigins, err := httpapi.ParseCORSOrigins(cmd.String("cors-origins"))
	if err != nil {
		return fmt.Errorf("--cors-origins: %w", err)
	}
	if err := httpapi.CheckFrameAncestors(cmd.String("frame-ancestors")); err != nil {
		return fmt.Errorf("--frame-ancestors: %w", err)
	}
	basemap, err := viewer.ParseBasemap(cmd.String("basemap"), cmd.String("basemap-attribution"))
	if err != nil {
		return fmt.Errorf("--basemap: %w", err)
	}
	metricsAddr, pprofAddr := cmd.String("metrics-addr"), cmd.String("pprof-addr")
	db, err := openDatabase(ctx, cmd, logger, true, cmd.Duration("query-timeout"))
	if err != nil {
		return err
	}
	defer db.close(logger)
	if cmd.Bool("demo") {
		again := os.Args[0] + " demo tokens"
		if cmd.IsSet("data-dir") {
			again += " --data-dir " + cmd.String("data-dir")
		}
		if err := loadDemo(ctx, cmd.Root().Writer, db.Write, again, logger); err != nil {
			return err
		}
	}

	svc, err := app.New(ctx, db.DB, app.Config{
		HTTP: httpapi.Config{
			BaseURL:        cmd.String("base-url"),
			RequestTimeout: cmd.Duration("request-timeout"),
			Version:        version,
			CORSOrigins:    corsOrigins,
			FrameAncestors: cmd.String("frame-ancestors"),
			PrivateMetrics: metricsAddr != "",
			HeavyRequests:  cmd.Int("heavy-requests"),
			Viewer:         viewer.Config{Basemap: basemap},
		},
		TileCacheMB: cmd.Int("tile-cache-mb"),
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	errorLog := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	srv := httpapi.NewHTTPServer(svc.Handler, httpapi.DefaultTimeouts(cmd.Duration("request-timeout")), errorLog)
	ln, err := net.Listen("tcp", cmd.String("addr"))
	if err != nil {
		return err
	}
	servers := []*http.Server{srv}
	listeners := []net.Listener{httpapi.Listener(ln)}
	// Private listeners: metrics and the profiler, on one mux when given
	// the same address.
	var private []privateListener
	if metricsAddr != "" {
		addPrivate(&private, metricsAddr, "--metrics-addr", "metrics", 30*time.Second).Handle("GET /metrics", svc.Metrics)
	}
	if pprofAddr != "" {
		// A CPU profile runs for ?seconds= (30 by default) and must end
		// before the server's write timeout.
		handleProfiler(addPrivate(&private, pprofAddr, "--pprof-addr", "profiler", 5*time.Minute))
	}
	for _, p := range private {
		pln, err := net.Listen("tcp", p.addr)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return fmt.Errorf("%s: %w", p.flags, err)
		}
		servers = append(servers, httpapi.NewHTTPServer(p.mux, httpapi.DefaultTimeouts(p.budget), errorLog))
		listeners = append(listeners, httpapi.Listener(pln))
		logger.Info("serving privately", "url", displayURL(pln.Addr()), "what", p.what)
	}
	logger.Info("serving", "url", displayURL(ln.Addr()), "version", version, "layers", len(svc.Catalog.Layers()))

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		db.supervise(gctx)
		return nil
	})
	g.Go(func() error {
		svc.Versions.Poll(gctx, cmd.Duration("version-poll"), logger)
		return nil
	})
	g.Go(func() error {
		svc.Tiles.Prebuild(gctx, svc.Catalog, int64(cmd.Int("tile-prebuild-mb"))<<20, cmd.Duration("version-poll"), logger)
		return nil
	})
	g.Go(func() error {
		svc.Reads.Monitor(gctx, cmd.Duration("version-poll"))
		return nil
	})
	for i, srv := range servers {
		g.Go(func() error {
			if err := srv.Serve(listeners[i]); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		return shutdown(servers, svc.Drain, cmd.Duration("drain-delay"), cmd.Duration("shutdown-timeout"), logger)
	})
	// The pools close (deferred above) once every request has finished.
	return g.Wait()
}

// privateListener is an address that serves operators only (metrics, the
// profiler), never the public routes.
type privateListener struct {
	addr, flags, what string
	mux               *http.ServeMux
	budget            time.Duration // request budget, for the timeouts
}

// addPrivate returns the mux of the private listener of addr (given by
// flag, serving what), added if new; its budget grows to the longest asked
// for.
func addPrivate(ps *[]privateListener, addr, flag, what string, budget time.Duration) *http.ServeMux {
	for i := range *ps {
		if p := &(*ps)[i]; p.addr == addr {
			p.budget = max(p.budget, budget)
			p.flags += " and " + flag
			p.what += ", " + what
			return p.mux
		}
	}
	*ps = append(*ps, privateListener{addr: addr, flags: flag, what: what, mux: http.NewServeMux(), budget: budget})
	return (*ps)[len(*ps)-1].mux
}

// shutdown stops serving without losing a request: /readyz turns 503 at
// once and the listeners stay open for drainDelay, so load balancers that
// poll it stop sending here first; then the listeners close, idle
// connections are closed and requests in flight get up to timeout to
// finish before their connections are cut.
func shutdown(servers []*http.Server, drain func(), drainDelay, timeout time.Duration, logger *slog.Logger) error {
	drain()
	logger.Info("shutting down", "drain_delay", drainDelay, "timeout", timeout)
	time.Sleep(drainDelay)
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			logger.Warn("requests still running at the shutdown timeout were cut", "timeout", timeout)
			errs = append(errs, err, srv.Close())
		}
	}
	return errors.Join(errs...)
}

// loadDemo loads the demo into an empty database and prints a token per
// role on w (the terminal, never the log), so that `make run` can be
// tried with writes at once; on later starts it says how to get new ones
// (the command again).
func loadDemo(ctx context.Context, w io.Writer, pool *pgxpool.Pool, again string, logger *slog.Logger) error {
	loaded, err := demo.LoadIfEmpty(ctx, pool, logger)
	if err != nil {
		return err
	}
	if loaded {
		toks, err := demo.CreateTokens(ctx, pool)
		if err != nil {
			return err
		}
		return demo.WriteTokens(w, toks)
	}
	active, err := demo.ActiveTokens(ctx, pool)
	if err != nil || len(active) == 0 {
		return err
	}
	_, err = fmt.Fprintf(w, "Demo tokens: %d exist, printed when they were made; `%s` replaces them and prints the new secrets.\n", len(active), again)
	return err
}

// displayURL is the address to click in the start-up line.
func displayURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
