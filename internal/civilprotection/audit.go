package civilprotection

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
)

// Actor is who makes a change, for the plan history and the audit log.
type Actor struct {
	TokenID int64  // 0 for the command line
	Name    string // the token's name, or who ran the command
	Role    string // the token's role; "" for the command line
}

// actorOf returns the actor of an authenticated principal.
func actorOf(p *auth.Principal) Actor {
	return Actor{TokenID: p.TokenID, Name: p.Name, Role: string(p.Role)}
}

func (a Actor) tokenID() *int64 {
	if a.TokenID == 0 {
		return nil
	}
	return &a.TokenID
}

func (a Actor) role() *string {
	if a.Role == "" {
		return nil
	}
	return &a.Role
}

// auditSQL writes one audit row. before and after are JSON (or nil).
const auditSQL = `INSERT INTO audit_log (token_id, actor, action, collection, object_id, istat_code, before, after, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// audit writes one row of the audit log in tx.
func audit(ctx context.Context, tx pgx.Tx, a Actor, action, collection, objectID, istat string, before, after []byte, reason *string) error {
	_, err := tx.Exec(ctx, auditSQL, a.tokenID(), a.Name, action, collection, objectID, istat, before, after, reason)
	return err
}

// etag formats a row version as an entity tag.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// checkIfMatch compares an If-Match header (RFC 9110 §13.1.1) with the
// row's version; empty or "*" always matches.
func checkIfMatch(op, ifMatch string, version int64) error {
	if ifMatch == "" || strings.TrimSpace(ifMatch) == "*" {
		return nil
	}
	for _, tag := range strings.Split(ifMatch, ",") {
		if strings.TrimSpace(tag) == etag(version) {
			return nil
		}
	}
	return apperr.New(op, apperr.Precondition,
		"the object changed since you read it (its ETag is now %s): read it again and reapply your change", etag(version))
}
