package localpg

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	// binDirEnv overrides where the PostgreSQL server binaries are.
	binDirEnv = "ATLANTE_PG_BINDIR"
	// pgLibRoot and pgShareRoot are Debian's layout for parallel major
	// versions: <root>/<version>/bin and <root>/<version>/extension.
	pgLibRoot   = "/usr/lib/postgresql"
	pgShareRoot = "/usr/share/postgresql"
)

// findBinDir returns the directory holding pg_ctl, initdb and postgres: the
// env override if set; else the highest libRoot/<v>/bin whose version has
// PostGIS (shareRoot/<v>/extension/postgis.control); else the directory of
// pg_ctl on PATH, symlinks resolved.
func findBinDir(env, libRoot, shareRoot string) (string, error) {
	if env != "" {
		if err := hasServerBinaries(env); err != nil {
			return "", fmt.Errorf("localpg: %s=%s: %w", binDirEnv, env, err)
		}
		return env, nil
	}
	var (
		best      string
		bestVer   float64
		noPostGIS []string // versions with a server but without PostGIS
	)
	dirs, err := os.ReadDir(libRoot)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("localpg: %w", err)
	}
	for _, d := range dirs {
		v, err := strconv.ParseFloat(d.Name(), 64)
		if err != nil {
			continue
		}
		bin := filepath.Join(libRoot, d.Name(), "bin")
		if hasServerBinaries(bin) != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(shareRoot, d.Name(), "extension", "postgis.control")); err != nil {
			noPostGIS = append(noPostGIS, d.Name())
			continue
		}
		if best == "" || v > bestVer {
			best, bestVer = bin, v
		}
	}
	if best != "" {
		return best, nil
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dir := filepath.Dir(real)
			rejected := false
			for _, v := range noPostGIS {
				rejected = rejected || dir == filepath.Join(libRoot, v, "bin")
			}
			if !rejected && hasServerBinaries(dir) == nil {
				return dir, nil
			}
		}
	}
	return "", notInstalled(noPostGIS)
}

func hasServerBinaries(dir string) error {
	for _, name := range []string{"pg_ctl", "initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("no %s: %w", name, err)
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not executable", filepath.Join(dir, name))
		}
	}
	return nil
}

// notInstalled explains what to install. The PostgreSQL major version is
// the installed server's if there is one, else the distribution's default.
func notInstalled(noPostGIS []string) error {
	version := ""
	if n := len(noPostGIS); n > 0 {
		version = noPostGIS[n-1]
	} else {
		version = distroPostgresVersion("/etc/os-release")
	}
	postgis := "postgresql-<major>-postgis-3 (for your PostgreSQL major version)"
	if version != "" {
		postgis = "postgresql-" + version + "-postgis-3"
	}
	found := ""
	if len(noPostGIS) > 0 {
		found = " (found PostgreSQL " + strings.Join(noPostGIS, ", ") + " without PostGIS)"
	}
	return fmt.Errorf("%w%s: install the packages postgresql and %s (`make run` installs them), or set %s to the bin directory of a PostgreSQL server with PostGIS",
		ErrNotInstalled, found, postgis, binDirEnv)
}

// distroPostgresVersion maps the distribution release to the PostgreSQL
// major version its postgresql package installs, or "" if unknown.
func distroPostgresVersion(osRelease string) string {
	f, err := os.Open(osRelease)
	if err != nil {
		return ""
	}
	defer f.Close()
	versions := map[string]string{
		"bullseye": "13", "bookworm": "15", "trixie": "17",
		"focal": "12", "jammy": "14", "noble": "16",
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VERSION_CODENAME="); ok {
			return versions[strings.Trim(v, `"`)]
		}
	}
	return ""
}
