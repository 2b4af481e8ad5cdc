package importer

import (
	"log/slog"
	"time"
)

// LogProgress returns a ComuniOptions.Progress function for output that is
// not a terminal: it logs "import progress" at most once per interval, so a
// long import shows it is alive without flooding the log.
func LogProgress(logger *slog.Logger, file string, interval time.Duration) func(Progress) {
	last := time.Now()
	return func(p Progress) {
		now := time.Now()
		if now.Sub(last) < interval || (p.Total > 0 && p.Done >= p.Total) {
			return
		}
		last = now
		attrs := []any{"file", file, "done", p.Done, "unit", p.Unit}
		if p.Total > 0 {
			attrs = append(attrs, "total", p.Total, "percent", p.Done*100/p.Total)
		}
		logger.Info("import progress", attrs...)
	}
}
