-- 003_compact.sql - compact verdicts: one row per assessment.
--
-- Until now every clause and every check of every assessment was a row,
-- and each assessment also kept its whole result document, check texts
-- and clause titles included: about 2,000 rows and 486 KB per unit for
-- five standards, and PostgreSQL, not the workers, bounded throughput.
-- Now an assessment row carries its outcome (engine/outcome.c: what the
-- evaluation decided, in the catalog's effective order, lz4-compressed)
-- and what the catalog holds is stored once per catalog, by hash
-- (catalog_clauses, catalog_checks). The views clause_results,
-- check_results and findings give the same rows as the old tables, so
-- queries, exports and BI tools keep working; the rows stored before this
-- migration stay where they were (*_v1) and the views show them too.
--
-- Workers store a group of jobs with one statement (assay_store_results,
-- arrays of the rows): many jobs per transaction, each still guarded by
-- its attempt.

ALTER TABLE clause_results RENAME TO clause_results_v1;
ALTER TABLE check_results RENAME TO check_results_v1;
ALTER TABLE findings RENAME TO findings_v1;

-- An override names a clause of an assessment; that clause is now a
-- position in the outcome, not a row, so the broker checks it (as it
-- already did, to say why) instead of a foreign key.
DO $$
DECLARE
    v_name text;
BEGIN
    FOR v_name IN SELECT conname FROM pg_constraint
                   WHERE conrelid = 'overrides'::regclass AND contype = 'f'
                     AND confrelid = 'clause_results_v1'::regclass LOOP
        EXECUTE format('ALTER TABLE overrides DROP CONSTRAINT %I', v_name);
    END LOOP;
END $$;

-- The catalog and bundle an assessment names are the ones its worker
-- recorded (assay_record_catalog, at connect) and its job holds: the store
-- function takes them from there. Foreign keys to them would lock the one
-- catalogs row and the bundles rows FOR KEY SHARE in every store, which
-- concurrent workers turn into multixacts: the checks cost more than the
-- rows they guard.
DO $$
DECLARE
    v_name text;
BEGIN
    FOR v_name IN SELECT conname FROM pg_constraint
                   WHERE conrelid = 'assessments'::regclass AND contype = 'f'
                     AND confrelid IN ('catalogs'::regclass, 'bundles'::regclass) LOOP
        EXECUTE format('ALTER TABLE assessments DROP CONSTRAINT %I', v_name);
    END LOOP;
END $$;

ALTER TABLE assessments
    ALTER COLUMN result DROP NOT NULL,
    ADD COLUMN unit_name text,
    ADD COLUMN org text,
    ADD COLUMN edition text,
    ADD COLUMN outcome text COMPRESSION lz4;
UPDATE assessments SET unit_name = result->>'unit_name', org = result->>'org',
                       edition = result->>'edition'
 WHERE result IS NOT NULL;
ALTER TABLE assessments
    ALTER COLUMN unit_name SET NOT NULL,
    ALTER COLUMN org SET NOT NULL,
    ALTER COLUMN edition SET NOT NULL,
    ADD CONSTRAINT assessments_stored CHECK (result IS NOT NULL OR outcome IS NOT NULL);
COMMENT ON COLUMN assessments.result IS
    'the whole result document, for assessments stored before 003_compact.sql only';
COMMENT ON COLUMN assessments.outcome IS
    'what the evaluation decided, format v1 of engine/outcome.c; with the catalog it gives the result document';

-- An outcome compresses to 1 to 7 KB: kept in the row itself rather than
-- cut into TOAST chunks (each a tuple, an index entry and WAL of its own).
ALTER TABLE assessments SET (toast_tuple_target = 8160);

-- lz4: a fraction of pglz's CPU for about the same size on JSON text.
ALTER TABLE bundles ALTER COLUMN content SET COMPRESSION lz4;
ALTER TABLE catalogs ALTER COLUMN content SET COMPRESSION lz4;

-- A catalog's effective clause and check lists, in the order outcomes use
-- (ordinal from 1), written once per catalog by the first worker that
-- evaluates with it (catalog_layout_json in the engine).
CREATE TABLE IF NOT EXISTS catalog_clauses (
    catalog_sha256  text NOT NULL REFERENCES catalogs (sha256),
    ordinal         integer NOT NULL,
    clause_id       text NOT NULL,
    parent_id       text,
    title           text NOT NULL,
    assessed        boolean NOT NULL,
    weight          numeric NOT NULL,
    PRIMARY KEY (catalog_sha256, ordinal),
    UNIQUE (catalog_sha256, clause_id)
);

CREATE TABLE IF NOT EXISTS catalog_checks (
    catalog_sha256  text NOT NULL REFERENCES catalogs (sha256),
    ordinal         integer NOT NULL,
    check_id        text NOT NULL,
    clause_id       text NOT NULL,
    level           integer NOT NULL,
    severity        text NOT NULL CHECK (severity IN ('major', 'minor', 'observation')),
    text            text NOT NULL,
    PRIMARY KEY (catalog_sha256, ordinal)
);

CREATE OR REPLACE FUNCTION assay_record_catalog(p_sha256 text, p_id text, p_edition text,
                                                p_title text, p_content text, p_layout json)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalogs (sha256, id, edition, title, content)
        VALUES (p_sha256, p_id, p_edition, p_title, p_content)
        ON CONFLICT (sha256) DO NOTHING;
    IF EXISTS (SELECT 1 FROM catalog_clauses WHERE catalog_sha256 = p_sha256) THEN
        RETURN;
    END IF;
    INSERT INTO catalog_clauses (catalog_sha256, ordinal, clause_id, parent_id, title, assessed, weight)
    SELECT p_sha256, c.ordinal, c.id, c.parent, c.title, c.assessed, c.weight
      FROM ROWS FROM (json_to_recordset(p_layout->'clauses')
                      AS (id text, parent text, title text, assessed boolean, weight numeric))
           WITH ORDINALITY AS c(id, parent, title, assessed, weight, ordinal)
        ON CONFLICT DO NOTHING;
    INSERT INTO catalog_checks (catalog_sha256, ordinal, check_id, clause_id, level, severity, text)
    SELECT p_sha256, k.ordinal, k.id, k.clause, k.level, k.severity, k.text
      FROM ROWS FROM (json_to_recordset(p_layout->'checks')
                      AS (id text, clause text, level integer, severity text, text text))
           WITH ORDINALITY AS k(id, clause, level, severity, text, ordinal)
        ON CONFLICT DO NOTHING;
END $$;

-- Store a group of jobs' assessments (one array element per job and
-- standard, all arrays of one length) in the caller's transaction: each
-- job whose attempt is still the running one is marked done and its
-- assessments kept; a job whose attempt is no longer current writes
-- nothing but a stale_writes row. A job already done at that very attempt
-- is a retried commit whose first try did commit: the same write, not a
-- stale one. One statement for the whole group, so the snapshot it reads
-- jobs in is the one the UPDATE starts from. Returns each job and whether
-- it is stored.
CREATE OR REPLACE FUNCTION assay_store_results(
    p_worker text, p_jobs bigint[], p_attempts integer[], p_standards text[],
    p_catalogs text[], p_as_of date[], p_maturity numeric[], p_by_clause jsonb[],
    p_readiness text[], p_major integer[], p_minor integer[], p_observations integer[],
    p_unit_names text[], p_orgs text[], p_editions text[], p_outcomes text[])
RETURNS TABLE (job_id bigint, stored boolean) LANGUAGE plpgsql AS $$
BEGIN
    -- PL/pgSQL, not SQL: the statement is planned once per session, not
    -- parsed and planned again at every call.
    RETURN QUERY
    WITH rows AS (
        SELECT * FROM unnest(p_jobs, p_attempts, p_standards, p_catalogs, p_as_of, p_maturity,
                             p_by_clause, p_readiness, p_major, p_minor, p_observations,
                             p_unit_names, p_orgs, p_editions, p_outcomes)
            AS r(job_id, attempt, standard, catalog_sha256, as_of, maturity, maturity_by_clause,
                 readiness, major_nc, minor_nc, observations, unit_name, org, edition, outcome)),
    staged AS (
        SELECT DISTINCT r.job_id, r.attempt FROM rows r),
    done AS (
        UPDATE jobs j SET state = 'done', finished_at = now()
          FROM staged s
         WHERE j.id = s.job_id AND j.attempt = s.attempt AND j.state = 'running'
        RETURNING j.id, j.unit_id, j.bundle_sha256),
    written AS (
        INSERT INTO assessments (job_id, attempt, unit_id, standard, catalog_sha256, bundle_sha256,
                                 as_of, maturity, maturity_by_clause, readiness, major_nc,
                                 minor_nc, observations, unit_name, org, edition, outcome, worker)
        SELECT r.job_id, r.attempt, d.unit_id, r.standard, r.catalog_sha256, d.bundle_sha256,
               r.as_of, r.maturity, r.maturity_by_clause, r.readiness, r.major_nc,
               r.minor_nc, r.observations, r.unit_name, r.org, r.edition, r.outcome, p_worker
          FROM rows r JOIN done d ON d.id = r.job_id
        RETURNING 1),
    already AS (
        SELECT s.job_id FROM staged s
          JOIN jobs j ON j.id = s.job_id AND j.attempt = s.attempt AND j.state = 'done'),
    stale AS (
        INSERT INTO stale_writes (job_id, attempt, worker)
        SELECT s.job_id, s.attempt, p_worker FROM staged s
         WHERE s.job_id NOT IN (SELECT d.id FROM done d)
           AND s.job_id NOT IN (SELECT a.job_id FROM already a)
        RETURNING 1)
    SELECT s.job_id, (s.job_id IN (SELECT d.id FROM done d)
                      OR s.job_id IN (SELECT a.job_id FROM already a))
      FROM staged s;
END $$;

-- The old per-job store wrote the row tables this migration retires.
DROP FUNCTION IF EXISTS assay_store_result(bigint, integer, text, json);

-- ---- the views that replace the row tables ------------------------------

-- Each compact assessment with its outcome parsed once (OFFSET 0 keeps
-- the planner from re-parsing it for every column that reads it).
CREATE OR REPLACE VIEW assay_outcomes AS
SELECT a.id AS assessment_id, a.catalog_sha256, o.doc
  FROM assessments a
 CROSS JOIN LATERAL (SELECT a.outcome::jsonb AS doc OFFSET 0) o
 WHERE a.outcome IS NOT NULL;

CREATE OR REPLACE VIEW clause_results AS
SELECT o.assessment_id, l.clause_id, l.parent_id, l.title, l.assessed,
       substr(o.doc->>'applicable', l.ordinal, 1) = '1' AS applicable,
       (o.doc->'levels'->>(l.ordinal - 1))::numeric(4, 2) AS level,
       CASE substr(o.doc->>'clauses', l.ordinal, 1)
            WHEN 'c' THEN 'conformant' WHEN 'm' THEN 'minor_nc'
            WHEN 'M' THEN 'major_nc' ELSE 'not_applicable' END AS status
  FROM assay_outcomes o
  JOIN catalog_clauses l ON l.catalog_sha256 = o.catalog_sha256
UNION ALL
SELECT assessment_id, clause_id, parent_id, title, assessed, applicable, level, status
  FROM clause_results_v1;

CREATE OR REPLACE VIEW check_results AS
SELECT o.assessment_id, k.check_id, k.clause_id, k.level, k.severity,
       CASE substr(o.doc->>'checks', k.ordinal, 1)
            WHEN 'p' THEN 'pass' WHEN 'f' THEN 'fail'
            WHEN 'n' THEN 'not_applicable' ELSE 'error' END AS status,
       ARRAY(SELECT jsonb_array_elements_text(o.doc->'evidence'->(k.ordinal - 1))) AS evidence,
       ARRAY(SELECT jsonb_array_elements_text(
                 COALESCE(o.doc->'expired'->((k.ordinal - 1)::text), '[]'::jsonb))) AS expired,
       o.doc->'messages'->>((k.ordinal - 1)::text) AS message
  FROM assay_outcomes o
  JOIN catalog_checks k ON k.catalog_sha256 = o.catalog_sha256
UNION ALL
SELECT assessment_id, check_id, clause_id, level, severity, status, evidence, expired, message
  FROM check_results_v1;

-- A finding is a check that failed (or could not be evaluated), with the
-- text the catalog gives it.
CREATE OR REPLACE VIEW findings AS
SELECT o.assessment_id, k.check_id, k.clause_id, k.severity, k.text,
       ARRAY(SELECT jsonb_array_elements_text(o.doc->'evidence'->(k.ordinal - 1))) AS evidence
  FROM assay_outcomes o
  JOIN catalog_checks k ON k.catalog_sha256 = o.catalog_sha256
 WHERE substr(o.doc->>'checks', k.ordinal, 1) IN ('f', 'e')
UNION ALL
SELECT assessment_id, check_id, clause_id, severity, text, evidence
  FROM findings_v1;

-- The views of 002_history.sql were bound to the renamed tables; bind
-- them to the views above, and read the unit's name and org from their
-- columns instead of the (now legacy) result document.
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

-- The overridden clauses' machine status comes from the outcome (or the
-- legacy rows) of that one assessment.
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

CREATE OR REPLACE VIEW assay_latest_assessments AS
SELECT DISTINCT ON (a.unit_id, a.standard)
       a.unit_id,
       a.unit_name,
       a.org,
       a.standard,
       a.edition,
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
