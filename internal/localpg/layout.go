package localpg

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const (
	// serverOSUser runs the server when Atlante runs as root; Debian's
	// postgresql-common creates it.
	serverOSUser = "postgres"
	// fallbackRoot holds the clusters of data dirs that serverOSUser cannot
	// reach (e.g. under /root, mode 0700).
	fallbackRoot = "/var/lib/atlante/clusters"
	// tmpSocketPrefix names the socket dir used when root/run is too long.
	tmpSocketPrefix = "/tmp/atlante-"
	// maxSocketPath is the longest socket path: sun_path holds 108 bytes
	// including the terminating NUL (unix(7)); PostgreSQL refuses longer.
	maxSocketPath = 107
	// ownerFile, in a fallback cluster, names the data dir it belongs to.
	ownerFile = "DATADIR"
)

// serverUser is the OS user the server runs as when Atlante runs as root.
type serverUser struct {
	name     string
	uid, gid uint32
}

func lookupServerUser() (*serverUser, error) {
	u, err := user.Lookup(serverOSUser)
	if err != nil {
		return nil, fmt.Errorf("localpg: running as root, the server must run as OS user %q (created by the Debian package postgresql-common): %w", serverOSUser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("localpg: uid of %q: %w", serverOSUser, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("localpg: gid of %q: %w", serverOSUser, err)
	}
	return &serverUser{name: serverOSUser, uid: uint32(uid), gid: uint32(gid)}, nil
}

// resolvePath resolves the symlinks of the longest existing prefix of the
// absolute path p, so that one data dir always yields the same path (and
// hash), whichever symlinked path names it and whether it exists yet.
func resolvePath(p string) (string, error) {
	var rest []string
	for cur := filepath.Clean(p); ; cur = filepath.Dir(cur) {
		real, err := filepath.EvalSymlinks(cur)
		if err == nil {
			for i := len(rest) - 1; i >= 0; i-- {
				real = filepath.Join(real, rest[i])
			}
			return real, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if cur == filepath.Dir(cur) {
			return "", err
		}
		rest = append(rest, filepath.Base(cur))
	}
}

// dirHash names the fallback cluster and the /tmp socket dir of a data dir.
func dirHash(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return hex.EncodeToString(sum[:])[:16]
}

// blocker finds the first existing directory on the way from / to dir
// (inclusive) that u cannot enter, judged by the mode bits as the kernel
// does: owner bits if u owns it, else group bits if its group is u's primary
// group (supplementary groups are cleared when the server is started), else
// the other bits. ACLs are not considered. Missing directories are skipped:
// Start creates them with mode 0755. It returns "" when u can reach dir.
func (u *serverUser) blocker(dir string) (string, error) {
	parts := strings.Split(strings.TrimPrefix(filepath.Clean(dir), "/"), "/")
	cur := "/"
	for i := 0; ; i++ {
		fi, err := os.Stat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("localpg: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return "", fmt.Errorf("localpg: no ownership information for %s", cur)
		}
		var bit uint32
		switch {
		case st.Uid == u.uid:
			bit = 0o100
		case st.Gid == u.gid:
			bit = 0o010
		default:
			bit = 0o001
		}
		if st.Mode&bit == 0 {
			return fmt.Sprintf("user %s cannot enter %s (mode %04o, owner uid %d gid %d)", u.name, cur, st.Mode&0o7777, st.Uid, st.Gid), nil
		}
		if i == len(parts) || parts[0] == "" {
			return "", nil
		}
		cur = filepath.Join(cur, parts[i])
	}
}

// resolveLayout decides the cluster root R and the socket dir. In order:
// an existing DataDir/pg symlink is followed (a fallback cluster, or one the
// user moved); an existing DataDir/pg directory is used in place; otherwise
// R is DataDir/pg, unless the server runs as postgres and postgres cannot
// reach DataDir, in which case R is fallbackRoot/<hash> and Start links
// DataDir/pg to it. The answer depends only on the data dir's path and what
// exists, so every process using one data dir agrees.
func (c *Cluster) resolveLayout() error {
	inPlace := filepath.Join(c.dataDir, "pg")
	hash := dirHash(c.dataDir)
	fallback := filepath.Join(fallbackRoot, hash)
	fi, err := os.Lstat(inPlace)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(inPlace)
		if err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(c.dataDir, target)
		}
		if filepath.Clean(target) == fallback {
			if c.server == nil {
				return fmt.Errorf("localpg: the cluster of %s was created by root in %s; run Atlante as root, or use another data dir", c.dataDir, fallback)
			}
			// Ours; the target may have been deleted, and Start recreates it.
			c.root, c.linked, c.fallback = fallback, true, true
			c.reason = "existing link " + inPlace
		} else {
			real, err := filepath.EvalSymlinks(inPlace)
			if err != nil {
				return fmt.Errorf("localpg: %s is a symbolic link to %s, which cannot be used: %w", inPlace, target, err)
			}
			c.root, c.linked = real, true
		}
	case err == nil && fi.IsDir():
		c.root = inPlace
	case err == nil:
		return fmt.Errorf("localpg: %s exists and is not a directory", inPlace)
	case errors.Is(err, fs.ErrNotExist):
		c.root = inPlace
		if c.server != nil {
			why, err := c.server.blocker(c.dataDir)
			if err != nil {
				return err
			}
			if why != "" {
				c.root, c.linked, c.fallback, c.reason = fallback, true, true, why
			}
		}
	default:
		return fmt.Errorf("localpg: %w", err)
	}
	if c.server != nil && !c.fallback {
		why, err := c.server.blocker(filepath.Dir(c.root))
		if err != nil {
			return err
		}
		if why != "" {
			return fmt.Errorf("localpg: the cluster in %s cannot be used: %s; make it enterable (chmod o+x) or move the data dir", c.root, why)
		}
	}

	c.socketDir = filepath.Join(c.root, "run")
	if len(c.socketDir)+len(socketFile()) > maxSocketPath {
		c.socketDir, c.tmpSocket = tmpSocketPrefix+hash, true
	}
	// pg_ctl start passes the data dir and log file to /bin/sh inside double
	// quotes, and the socket dir goes into a configuration file in single
	// quotes: refuse characters that would escape either.
	for _, p := range []string{c.root, c.socketDir} {
		if i := strings.IndexAny(p, "\"'`$\\\n\r\x00"); i >= 0 {
			return fmt.Errorf("localpg: cluster path %q contains %q, which PostgreSQL's tools cannot quote; use another data dir", p, p[i])
		}
	}
	return nil
}

func socketFile() string { return "/.s.PGSQL." + strconv.Itoa(port) }

// prepareRoot creates the data dir, the cluster root (owned by the server
// user, mode 0700) and, for a fallback cluster, the DataDir/pg symlink.
func (c *Cluster) prepareRoot() error {
	if err := c.mkdirReachable(c.dataDir); err != nil {
		return err
	}
	if c.fallback {
		if err := c.mkdirReachable(fallbackRoot); err != nil {
			return err
		}
		why, err := c.server.blocker(fallbackRoot)
		if err != nil {
			return err
		}
		if why != "" {
			return fmt.Errorf("localpg: cannot use %s for the cluster: %s", fallbackRoot, why)
		}
	}
	if c.server != nil && !c.linked {
		// resolveLayout judged what existed then; check again what exists now.
		why, err := c.server.blocker(c.dataDir)
		if err != nil {
			return err
		}
		if why != "" {
			return fmt.Errorf("localpg: the cluster in %s cannot be used: %s; make it enterable (chmod o+x) or move the data dir", c.root, why)
		}
	}
	if err := c.ensurePrivateDir(c.root); err != nil {
		return err
	}
	if c.linked {
		link := filepath.Join(c.dataDir, "pg")
		err := os.Symlink(c.root, link)
		if errors.Is(err, fs.ErrExist) {
			// Another process made it; resolveLayout checks where it points.
			err = nil
		}
		if err != nil {
			return fmt.Errorf("localpg: link %s to the cluster: %w", link, err)
		}
	}
	return nil
}

// claimFallback records in a fallback cluster which data dir owns it, and
// refuses a cluster that belongs to another one. The caller holds the lock.
func (c *Cluster) claimFallback() error {
	path := filepath.Join(c.root, ownerFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(path, []byte(c.dataDir+"\n"), 0o644); err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if owner := strings.TrimSuffix(string(b), "\n"); owner != c.dataDir {
		return fmt.Errorf("localpg: cluster %s belongs to data dir %s, not %s", c.root, owner, c.dataDir)
	}
	return nil
}

// prepareSocketDir creates the socket dir. Under /tmp another user could
// have created it first, so its owner and mode are checked.
func (c *Cluster) prepareSocketDir() error {
	return c.ensurePrivateDir(c.socketDir)
}

// mkdirReachable creates dir and its missing parents. As root, the
// directories it creates get mode 0755 whatever the umask, as blocker
// assumed.
func (c *Cluster) mkdirReachable(dir string) error {
	var missing []string
	for cur := dir; ; cur = filepath.Dir(cur) {
		if _, err := os.Stat(cur); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("localpg: %w", err)
		}
		missing = append(missing, cur)
		if cur == filepath.Dir(cur) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		err := os.Mkdir(missing[i], 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
		if c.server != nil {
			if err := os.Chmod(missing[i], 0o755); err != nil {
				return fmt.Errorf("localpg: %w", err)
			}
		}
	}
	return nil
}

// ensurePrivateDir makes dir exist as a real directory of mode 0700 owned by
// the server user (the current user when not root).
func (c *Cluster) ensurePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("localpg: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("localpg: %s is not a directory", dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("localpg: no ownership information for %s", dir)
	}
	want := uint32(os.Geteuid())
	if c.server != nil {
		want = c.server.uid
	}
	switch {
	case st.Uid == want:
	case c.server != nil && st.Uid == 0:
		// Created by root (this call or an earlier one): hand it over.
		if err := os.Lchown(dir, int(c.server.uid), int(c.server.gid)); err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
	default:
		return fmt.Errorf("localpg: %s is owned by uid %d, not by the server user (uid %d); remove it", dir, st.Uid, want)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
	}
	return nil
}
