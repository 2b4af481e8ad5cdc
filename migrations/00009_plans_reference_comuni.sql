-- A plan belongs to a known comune: without the reference, a write for a
-- made-up ISTAT code created a plan for a comune that does not exist.

-- +goose Up
DELETE FROM cp_plans p WHERE NOT EXISTS (SELECT 1 FROM comuni c WHERE c.istat_code = p.istat_code);
ALTER TABLE cp_plans ADD CONSTRAINT cp_plans_comune_fkey FOREIGN KEY (istat_code) REFERENCES comuni (istat_code);

-- +goose Down
ALTER TABLE cp_plans DROP CONSTRAINT IF EXISTS cp_plans_comune_fkey;
