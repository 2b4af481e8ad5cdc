package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/store"
)

// secretPrefix marks Atlante tokens, so that a leaked one is recognisable
// by secret scanners.
const secretPrefix = "atl_"

// Token describes a token without its secret.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Comuni     []string   `json:"comuni"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Store keeps tokens in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store over pool (the primary: authentication records
// the last use).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

func hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken makes a token and returns its secret, which is shown once
// and never stored.
func (s *Store) CreateToken(ctx context.Context, name string, role Role, comuni []string) (string, Token, error) {
	const op = "auth.CreateToken"
	if strings.TrimSpace(name) == "" {
		return "", Token{}, apperr.Invalidf(op, "name", "give the token a name (who or what uses it)")
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", Token{}, err
	}
	if role != Admin && len(comuni) == 0 {
		return "", Token{}, apperr.Invalidf(op, "comuni", "a %s token needs the comuni it acts on", role)
	}
	b := make([]byte, 20)
	rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	secret := secretPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	t := Token{Name: name, Role: role, Comuni: comuni, Prefix: secret[:len(secretPrefix)+4]}
	if t.Comuni == nil {
		t.Comuni = []string{}
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO api_tokens (name, role, comuni, hash, prefix) VALUES ($1, $2, $3, $4, $5)
		RETURNING id, created_at`, name, string(role), t.Comuni, hash(secret), t.Prefix).Scan(&t.ID, &t.CreatedAt)
	if err != nil {
		return "", Token{}, store.Translate(op, err)
	}
	return secret, t, nil
}

// ListTokens lists every token, newest first.
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, role, comuni, prefix, created_at, revoked_at, last_used_at
		FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, store.Translate("auth.ListTokens", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Token, error) {
		var t Token
		err := r.Scan(&t.ID, &t.Name, &t.Role, &t.Comuni, &t.Prefix, &t.CreatedAt, &t.RevokedAt, &t.LastUsedAt)
		return t, err
	})
	return ts, store.Translate("auth.ListTokens", err)
}

// RevokeToken revokes a token; it stops working at once.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id)
	if err != nil {
		return store.Translate("auth.RevokeToken", err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.New("auth.RevokeToken", apperr.NotFound, "no active token %d", id)
	}
	return nil
}

// Authenticate returns the principal of a secret, or Unauthorized for an
// unknown or revoked one.
func (s *Store) Authenticate(ctx context.Context, secret string) (*Principal, error) {
	const op = "auth.Authenticate"
	if !strings.HasPrefix(secret, secretPrefix) || len(secret) > 100 {
		return nil, apperr.New(op, apperr.Unauthorized, "invalid or revoked token")
	}
	var p Principal
	var role string
	err := s.pool.QueryRow(ctx, `SELECT id, name, role, comuni FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL`,
		hash(secret)).Scan(&p.TokenID, &p.Name, &role, &p.Comuni)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(op, apperr.Unauthorized, "invalid or revoked token")
	}
	if err != nil {
		return nil, store.Translate(op, err)
	}
	p.Role = Role(role)
	// Recording the use at most once a minute keeps reads from writing.
	if _, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = now()
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, p.TokenID); err != nil {
		return nil, store.Translate(op, err)
	}
	return &p, nil
}
