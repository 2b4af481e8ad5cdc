-- The civic numbers with their best offer, in the order of their level-0
-- statistics cell (issue 12): the civic numbers of a cell on an area's
-- edge (coverage.Stats, after the quadtree of 00070) are one index range
-- here, where they were a spatial index probe into civici and a probe into
-- civici_best each (PostgreSQL CPU per request on the 1M load-test
-- database: whole Cremasco 19 -> 13 ms, an 8 km polygon across Crema
-- 39 -> 21 ms). A snapshot of civici_coverage taken with coverage_cells,
-- so that the cells summed whole and the points tested one by one count
-- the same civic numbers; rebuilt by every coverage load
-- (coverage.refresh): about 100 MB and 5 s for a million civic numbers.

-- +goose Up
CREATE TABLE coverage_cell_points (
    cell            bigint NOT NULL,
    istat_code      text NOT NULL,
    geom            geometry(Point, 4326) NOT NULL,
    best_status     text,
    best_technology text,
    best_down_mbps  integer,
    programmes      text NOT NULL
);
INSERT INTO coverage_cell_points (cell, istat_code, geom, best_status, best_technology, best_down_mbps, programmes)
SELECT coverage_cell(geom_3857), istat_code, geom, best_status, best_technology, best_down_mbps, programmes
FROM civici_coverage ORDER BY 1;
CREATE INDEX coverage_cell_points_cell_idx ON coverage_cell_points (cell);
ANALYZE coverage_cell_points;

-- +goose Down
DROP TABLE IF EXISTS coverage_cell_points;
