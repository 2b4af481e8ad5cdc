package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/urfave/cli/v3"
	"golang.org/x/sync/errgroup"

	"github.com/cremasco/atlante/internal/app"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/httpapi"
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
			&cli.IntFlag{Name: "tile-cache-mb", Value: 256, Sources: cli.EnvVars("ATLANTE_TILE_CACHE_MB"),
				Usage: "size of the in-memory tile cache (0 disables it)"},
			&cli.IntFlag{Name: "tile-prebuild-mb", Value: 64, Sources: cli.EnvVars("ATLANTE_TILE_PREBUILD_MB"),
				Usage: "memory for the tiles of small layers built in advance after each data change (0: build them on request)"},
			&cli.DurationFlag{Name: "version-poll", Value: time.Second, Sources: cli.EnvVars("ATLANTE_VERSION_POLL"),
				Usage: "how often to check whether layers changed (cache invalidation)"},
		},
		Action: serve,
	}
}

func serve(ctx context.Context, cmd *cli.Command) error {
	logger, err := newLogger(cmd)
	if err != nil {
		return err
	}
	if cmd.Duration("query-timeout") >= cmd.Duration("request-timeout") {
		return fmt.Errorf("--query-timeout (%s) must be shorter than --request-timeout (%s)", cmd.Duration("query-timeout"), cmd.Duration("request-timeout"))
	}
	db, err := openDatabase(ctx, cmd, logger, true, cmd.Duration("query-timeout"))
	if err != nil {
		return err
	}
	defer db.close(logger)
	if cmd.Bool("demo") {
		if err := demo.LoadIfEmpty(ctx, db.Write, logger); err != nil {
			return err
		}
	}

	svc, err := app.New(ctx, db.DB, app.Config{
		HTTP: httpapi.Config{
			BaseURL:        cmd.String("base-url"),
			RequestTimeout: cmd.Duration("request-timeout"),
			Version:        version,
		},
		TileCacheMB: cmd.Int("tile-cache-mb"),
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cmd.String("addr"),
		Handler:           svc.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cmd.Duration("request-timeout") + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return err
	}
	logger.Info("serving", "url", displayURL(ln.Addr()), "version", version, "layers", len(svc.Catalog.Layers()))

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		svc.Versions.Poll(gctx, cmd.Duration("version-poll"), logger)
		return nil
	})
	g.Go(func() error {
		svc.Tiles.Prebuild(gctx, svc.Catalog, int64(cmd.Int("tile-prebuild-mb"))<<20, cmd.Duration("version-poll"), logger)
		return nil
	})
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		logger.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	return g.Wait()
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
