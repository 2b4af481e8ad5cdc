-- Civil protection, continued: the role behind each plan transition (shown
-- publicly instead of the token's name), a synthetic flag on every row so
-- demo data is labelled and can be reloaded, and indexes for the per-comune
-- lookups of plans, imports and exposure.

-- +goose Up
-- The role of the token that made the transition, kept with the entry: a
-- token's name is shown only to callers who may read the comune's private
-- data, its role to everyone.
ALTER TABLE cp_plan_history ADD COLUMN role text
    CHECK (role IN ('admin', 'editor', 'validator', 'private-reader'));

ALTER TABLE cp_scenarios ADD COLUMN synthetic boolean NOT NULL DEFAULT false;
ALTER TABLE cp_emergency_areas ADD COLUMN synthetic boolean NOT NULL DEFAULT false;
ALTER TABLE cp_buildings ADD COLUMN synthetic boolean NOT NULL DEFAULT false;
ALTER TABLE cp_crisis_unit ADD COLUMN synthetic boolean NOT NULL DEFAULT false;

CREATE INDEX cp_emergency_areas_comune_idx ON cp_emergency_areas (istat_code);
CREATE INDEX cp_buildings_comune_idx ON cp_buildings (istat_code);

-- +goose Down
DROP INDEX IF EXISTS cp_emergency_areas_comune_idx, cp_buildings_comune_idx;
ALTER TABLE cp_crisis_unit DROP COLUMN IF EXISTS synthetic;
ALTER TABLE cp_buildings DROP COLUMN IF EXISTS synthetic;
ALTER TABLE cp_emergency_areas DROP COLUMN IF EXISTS synthetic;
ALTER TABLE cp_scenarios DROP COLUMN IF EXISTS synthetic;
ALTER TABLE cp_plan_history DROP COLUMN IF EXISTS role;
