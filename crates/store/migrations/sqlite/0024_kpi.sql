-- The KPI engine (issue 11, SPEC §12): monthly counters per station × KPI × month
-- (month 'YYYY-MM' in the station's zone), updated in the transaction of the event
-- that changes them and rebuilt from the raw rows on demand; the station stars per
-- quarter with the policy version used and the review flag.
CREATE TABLE kpi_monthly (
    month TEXT NOT NULL,
    kpi TEXT NOT NULL,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    numerator INTEGER NOT NULL DEFAULT 0,
    denominator INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, kpi, station_id)
);
CREATE INDEX kpi_monthly_station ON kpi_monthly(station_id, kpi, month);
CREATE TABLE station_stars (
    station_id INTEGER NOT NULL REFERENCES stations(id),
    quarter TEXT NOT NULL,
    stars INTEGER NOT NULL,
    score_permille INTEGER NOT NULL,
    policy_version INTEGER NOT NULL,
    flagged INTEGER NOT NULL DEFAULT 0,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (station_id, quarter)
);
CREATE INDEX station_stars_quarter ON station_stars(quarter, stars);
