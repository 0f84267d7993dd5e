-- 002_history.sql - human review (overrides) and the views for BI tools.
--
-- Every run is kept: an assessment row is never updated or deleted, so the
-- history of a unit is its assessments over time (one per job and
-- standard). An assessor's decision on a clause is an override row beside
-- the machine verdict, never a change to it. docs/sql-views.md documents
-- the views with example queries. Idempotent: safe to apply twice.

-- An assessor's decision on one clause of one assessment (job x standard).
-- `previous_status` is the machine verdict when the decision was taken
-- (stored verdicts never change, so it stays the machine verdict); a newer
-- decision on the same clause supersedes the older one (`superseded_by`),
-- which is kept: the table is an audit trail and refuses DELETE.
-- An override applies while it is not superseded and not expired:
-- `expires` is the last day it applies (NULL: until superseded).
CREATE TABLE IF NOT EXISTS overrides (
    id               bigserial PRIMARY KEY,
    job_id           bigint NOT NULL REFERENCES jobs (id),
    assessment_id    bigint NOT NULL REFERENCES assessments (id),
    unit_id          text NOT NULL,
    standard         text NOT NULL,
    clause_id        text NOT NULL,
    status           text NOT NULL
                     CHECK (status IN ('conformant', 'minor_nc', 'major_nc', 'not_applicable')),
    reason           text NOT NULL CHECK (btrim(reason) <> ''),
    by               text NOT NULL CHECK (btrim(by) <> ''),
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires          date,
    previous_status  text
                     CHECK (previous_status IN ('conformant', 'minor_nc', 'major_nc', 'not_applicable')),
    -- Deferred: the newer row's id is taken first, the older row points
    -- at it, then the newer row is inserted, all in one transaction.
    superseded_by    bigint REFERENCES overrides (id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (assessment_id, clause_id) REFERENCES clause_results (assessment_id, clause_id)
);
CREATE INDEX IF NOT EXISTS overrides_by_job ON overrides (job_id);
CREATE INDEX IF NOT EXISTS overrides_by_unit ON overrides (unit_id);
-- At most one current (not superseded) decision per clause of an assessment.
CREATE UNIQUE INDEX IF NOT EXISTS overrides_current
    ON overrides (assessment_id, clause_id) WHERE superseded_by IS NULL;

-- The audit trail is append-only: no DELETE, and an UPDATE may only set
-- superseded_by once (NULL -> the newer override's id).
CREATE OR REPLACE FUNCTION assay_overrides_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'overrides are an audit trail: rows are never deleted (override %)', OLD.id;
    END IF;
    IF OLD.superseded_by IS NOT NULL OR NEW.superseded_by IS NULL
       OR (to_jsonb(NEW) - 'superseded_by') <> (to_jsonb(OLD) - 'superseded_by') THEN
        RAISE EXCEPTION 'overrides are an audit trail: only superseded_by may be set, once (override %)', OLD.id;
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS overrides_append_only ON overrides;
CREATE TRIGGER overrides_append_only BEFORE UPDATE OR DELETE ON overrides
    FOR EACH ROW EXECUTE FUNCTION assay_overrides_guard();

-- Dead letters and failed jobs, counted by `assay stats` without a scan.
CREATE INDEX IF NOT EXISTS jobs_dead_or_failed ON jobs (state) WHERE state IN ('dead', 'failed');

-- Overrides that apply today: not superseded, not expired.
CREATE OR REPLACE VIEW assay_active_overrides AS
SELECT o.*
  FROM overrides o
 WHERE o.superseded_by IS NULL
   AND (o.expires IS NULL OR o.expires >= current_date);

-- Every clause verdict with the machine status and, beside it, the
-- status that applies (an active override's, else the machine's). The
-- current override is shown even when expired (override_active false),
-- so a lapsed waiver is visible; only an active one changes
-- effective_status.
CREATE OR REPLACE VIEW assay_effective_clause_results AS
SELECT a.id                 AS assessment_id,
       a.job_id,
       b.name               AS batch,
       a.unit_id,
       a.standard,
       a.as_of,
       a.created_at         AS assessed_at,
       c.clause_id,
       c.parent_id,
       c.title,
       c.assessed,
       c.applicable,
       c.level,
       c.status             AS machine_status,
       CASE WHEN o.id IS NOT NULL AND (o.expires IS NULL OR o.expires >= current_date)
            THEN o.status ELSE c.status END AS effective_status,
       (o.id IS NOT NULL AND (o.expires IS NULL OR o.expires >= current_date)) AS overridden,
       o.id                 AS override_id,
       o.status             AS override_status,
       o.reason             AS override_reason,
       o.by                 AS override_by,
       o.created_at         AS override_at,
       o.expires            AS override_expires,
       (o.id IS NOT NULL AND (o.expires IS NULL OR o.expires >= current_date)) AS override_active
  FROM clause_results c
  JOIN assessments a ON a.id = c.assessment_id
  JOIN jobs j ON j.id = a.job_id
  JOIN batches b ON b.id = j.batch_id
  LEFT JOIN overrides o ON o.assessment_id = c.assessment_id AND o.clause_id = c.clause_id
                       AND o.superseded_by IS NULL;

-- Per assessment: NC counts with active overrides applied, and the
-- readiness they give (a guidance standard stays n/a).
CREATE OR REPLACE VIEW assay_effective_assessments AS
SELECT a.id AS assessment_id,
       e.effective_major_nc,
       e.effective_minor_nc,
       e.active_overrides,
       CASE WHEN a.readiness = 'n/a' THEN 'n/a'
            WHEN e.effective_major_nc > 0 THEN 'not_ready'
            WHEN e.effective_minor_nc > 0 THEN 'conditional'
            ELSE 'ready' END AS effective_readiness
  FROM assessments a
  CROSS JOIN LATERAL (
      SELECT a.major_nc - count(*) FILTER (WHERE c.status = 'major_nc')
                        + count(*) FILTER (WHERE o.status = 'major_nc') AS effective_major_nc,
             a.minor_nc - count(*) FILTER (WHERE c.status = 'minor_nc')
                        + count(*) FILTER (WHERE o.status = 'minor_nc') AS effective_minor_nc,
             count(*) AS active_overrides
        FROM assay_active_overrides o
        JOIN clause_results c ON c.assessment_id = o.assessment_id AND c.clause_id = o.clause_id
       WHERE o.assessment_id = a.id AND c.assessed) e;

-- The latest assessment of each unit against each standard (by run time),
-- with the batch that ran it and the override-applied NC counts.
CREATE OR REPLACE VIEW assay_latest_assessments AS
SELECT DISTINCT ON (a.unit_id, a.standard)
       a.unit_id,
       a.result->>'unit_name' AS unit_name,
       a.result->>'org'       AS org,
       a.standard,
       a.result->>'edition'   AS edition,
       b.name                 AS batch,
       a.job_id,
       a.id                   AS assessment_id,
       a.as_of,
       a.created_at           AS assessed_at,
       a.maturity,
       a.readiness,
       a.major_nc,
       a.minor_nc,
       a.observations,
       e.effective_readiness,
       e.effective_major_nc,
       e.effective_minor_nc,
       e.active_overrides
  FROM assessments a
  JOIN jobs j ON j.id = a.job_id
  JOIN batches b ON b.id = j.batch_id
  JOIN assay_effective_assessments e ON e.assessment_id = a.id
 ORDER BY a.unit_id, a.standard, a.created_at DESC, a.id DESC;

-- Every run of every unit against every standard, in time order, with
-- the change from the unit's previous run of that standard (NULL deltas
-- on its first run). `run` counts the unit's runs of the standard from 1.
CREATE OR REPLACE VIEW assay_assessment_trend AS
SELECT t.*,
       t.maturity - t.previous_maturity   AS maturity_delta,
       t.major_nc - t.previous_major_nc   AS major_nc_delta,
       t.minor_nc - t.previous_minor_nc   AS minor_nc_delta,
       t.previous_readiness IS NOT NULL AND t.readiness <> t.previous_readiness AS readiness_changed
  FROM (SELECT a.unit_id,
               a.standard,
               b.name        AS batch,
               a.job_id,
               a.id          AS assessment_id,
               a.created_at  AS run_at,
               a.as_of,
               row_number() OVER w AS run,
               a.maturity,
               a.readiness,
               a.major_nc,
               a.minor_nc,
               a.observations,
               lag(a.maturity) OVER w  AS previous_maturity,
               lag(a.readiness) OVER w AS previous_readiness,
               lag(a.major_nc) OVER w  AS previous_major_nc,
               lag(a.minor_nc) OVER w  AS previous_minor_nc
          FROM assessments a
          JOIN jobs j ON j.id = a.job_id
          JOIN batches b ON b.id = j.batch_id
        WINDOW w AS (PARTITION BY a.unit_id, a.standard ORDER BY a.created_at, a.id)) t;
