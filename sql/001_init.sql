-- 001_init.sql - Assay's core schema: batches, jobs, the evidence bundles
-- and catalogs they were assessed with, and the verdicts.
--
-- PostgreSQL is the source of truth; the broker's memory is a cache of the
-- unfinished jobs. Every verdict row references its job, the exact bundle
-- (by SHA-256 of its bytes) and the exact catalog (by SHA-256 of its text),
-- so any verdict can be reproduced later. Idempotent: safe to apply twice.

CREATE TABLE IF NOT EXISTS batches (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The audit trail of exactly what was assessed: each bundle once, by hash.
CREATE TABLE IF NOT EXISTS bundles (
    sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    unit_id     text NOT NULL,
    content     text NOT NULL,
    size_bytes  integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS catalogs (
    sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    id          text NOT NULL,
    edition     text NOT NULL,
    title       text NOT NULL,
    content     text NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS catalogs_by_id ON catalogs (id);

-- A job assesses one bundle against one or more standards. `attempt` is the
-- fencing token: the broker increments it on each dispatch, and a worker's
-- write is accepted only for the current attempt of a running job.
CREATE TABLE IF NOT EXISTS jobs (
    id              bigserial PRIMARY KEY,
    batch_id        bigint NOT NULL REFERENCES batches (id),
    unit_id         text NOT NULL,
    standards       text[] NOT NULL CHECK (cardinality(standards) > 0),
    bundle_sha256   text NOT NULL REFERENCES bundles (sha256),
    idem_key        text NOT NULL UNIQUE,
    state           text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'done', 'failed', 'dead', 'cancelled')),
    attempt         integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts    integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
    worker          text,
    not_before      timestamptz,
    errors          jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX IF NOT EXISTS jobs_by_batch ON jobs (batch_id);
CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs (id) WHERE state IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS jobs_by_unit ON jobs (unit_id);

-- Batch membership: a job resubmitted under another batch name (same key)
-- joins that batch too, so waiting on either batch sees it.
CREATE TABLE IF NOT EXISTS batch_jobs (
    batch_id    bigint NOT NULL REFERENCES batches (id),
    job_id      bigint NOT NULL REFERENCES jobs (id),
    PRIMARY KEY (batch_id, job_id)
);
CREATE INDEX IF NOT EXISTS batch_jobs_by_job ON batch_jobs (job_id);

-- One assessment per job and standard: the unique constraint is what makes
-- a doubled result impossible, whatever the processes do.
CREATE TABLE IF NOT EXISTS assessments (
    id                  bigserial PRIMARY KEY,
    job_id              bigint NOT NULL REFERENCES jobs (id),
    attempt             integer NOT NULL,
    unit_id             text NOT NULL,
    standard            text NOT NULL,
    catalog_sha256      text NOT NULL REFERENCES catalogs (sha256),
    bundle_sha256       text NOT NULL REFERENCES bundles (sha256),
    as_of               date NOT NULL,
    maturity            numeric(4, 2) NOT NULL CHECK (maturity BETWEEN 0 AND 5),
    maturity_by_clause  jsonb NOT NULL,
    readiness           text NOT NULL CHECK (readiness IN ('ready', 'conditional', 'not_ready', 'n/a')),
    major_nc            integer NOT NULL,
    minor_nc            integer NOT NULL,
    observations        integer NOT NULL,
    result              json NOT NULL,    -- json, not jsonb: keeps the document byte for byte
    worker              text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_id, standard)
);
CREATE INDEX IF NOT EXISTS assessments_by_unit ON assessments (unit_id, standard, created_at);

CREATE TABLE IF NOT EXISTS clause_results (
    assessment_id   bigint NOT NULL REFERENCES assessments (id),
    clause_id       text NOT NULL,
    parent_id       text,
    title           text NOT NULL,
    assessed        boolean NOT NULL,
    applicable      boolean NOT NULL,
    level           numeric(4, 2),
    status          text CHECK (status IN ('conformant', 'minor_nc', 'major_nc', 'not_applicable')),
    PRIMARY KEY (assessment_id, clause_id)
);

CREATE TABLE IF NOT EXISTS check_results (
    assessment_id   bigint NOT NULL REFERENCES assessments (id),
    check_id        text NOT NULL,
    clause_id       text NOT NULL,
    level           integer NOT NULL,
    severity        text NOT NULL CHECK (severity IN ('major', 'minor', 'observation')),
    status          text NOT NULL CHECK (status IN ('pass', 'fail', 'not_applicable', 'error')),
    evidence        text[] NOT NULL DEFAULT '{}',
    expired         text[] NOT NULL DEFAULT '{}',
    message         text,
    PRIMARY KEY (assessment_id, check_id)
);

CREATE TABLE IF NOT EXISTS findings (
    assessment_id   bigint NOT NULL REFERENCES assessments (id),
    check_id        text NOT NULL,
    clause_id       text NOT NULL,
    severity        text NOT NULL CHECK (severity IN ('major', 'minor', 'observation')),
    text            text NOT NULL,
    evidence        text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (assessment_id, check_id)
);

-- Writes refused by the attempt guard: a late worker's result for an
-- attempt that is no longer current. Kept so faults can be audited.
CREATE TABLE IF NOT EXISTS stale_writes (
    id          bigserial PRIMARY KEY,
    job_id      bigint NOT NULL,
    attempt     integer NOT NULL,
    worker      text,
    at          timestamptz NOT NULL DEFAULT now()
);

-- Store one job's verdicts and mark it done, in the caller's transaction,
-- guarded by the attempt: a stale attempt writes nothing but a stale_writes
-- row and returns false. `results` is a JSON array of result documents
-- (docs/catalog-format.md), one per standard.
CREATE OR REPLACE FUNCTION assay_store_result(p_job bigint, p_attempt integer,
                                              p_worker text, p_results json)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_bundle      text;
    v_unit        text;
    v_result      json;
    v_doc         jsonb;
    v_assessment  bigint;
BEGIN
    UPDATE jobs SET state = 'done', finished_at = now()
     WHERE id = p_job AND attempt = p_attempt AND state = 'running'
    RETURNING bundle_sha256, unit_id INTO v_bundle, v_unit;
    IF NOT FOUND THEN
        -- A retried commit whose first try did commit (the connection died
        -- before the answer came back) finds its own attempt done: that is
        -- the same write, not a stale one.
        IF EXISTS (SELECT 1 FROM jobs WHERE id = p_job AND attempt = p_attempt
                                        AND state = 'done') THEN
            RETURN true;
        END IF;
        INSERT INTO stale_writes (job_id, attempt, worker) VALUES (p_job, p_attempt, p_worker);
        RETURN false;
    END IF;

    -- The document is kept as sent (json keeps its key order); a jsonb
    -- copy is parsed once for the fields, where json would re-parse the
    -- whole text at every ->.
    FOR v_result IN SELECT value FROM json_array_elements(p_results) LOOP
        v_doc := v_result::jsonb;
        INSERT INTO assessments (job_id, attempt, unit_id, standard, catalog_sha256,
                                 bundle_sha256, as_of, maturity, maturity_by_clause,
                                 readiness, major_nc, minor_nc, observations, result, worker)
        VALUES (p_job, p_attempt, v_unit, v_doc->>'standard', v_doc->>'catalog_sha256',
                v_bundle, (v_doc->>'as_of')::date, (v_doc->>'maturity')::numeric,
                v_doc->'maturity_by_clause', v_doc->>'readiness',
                (v_doc->>'major_nc')::integer, (v_doc->>'minor_nc')::integer,
                (v_doc->>'observations')::integer, v_result, p_worker)
        RETURNING id INTO v_assessment;

        INSERT INTO clause_results (assessment_id, clause_id, parent_id, title, assessed,
                                    applicable, level, status)
        SELECT v_assessment, c.id, c.parent, c.title, c.assessed, c.applicable, c.level, c.status
          FROM jsonb_to_recordset(v_doc->'clauses')
               AS c(id text, parent text, title text, assessed boolean, applicable boolean,
                    level numeric, status text);

        -- JSON arrays land in text[] columns directly (jsonb_to_recordset
        -- converts them), without a subquery per row.
        INSERT INTO check_results (assessment_id, check_id, clause_id, level, severity, status,
                                   evidence, expired, message)
        SELECT v_assessment, k.id, k.clause, k.level, k.severity, k.status,
               coalesce(k.evidence, '{}'), coalesce(k.expired, '{}'), k.message
          FROM jsonb_to_recordset(v_doc->'checks')
               AS k(id text, clause text, level integer, severity text, status text,
                    evidence text[], expired text[], message text);

        INSERT INTO findings (assessment_id, check_id, clause_id, severity, text, evidence)
        SELECT v_assessment, f."check", f.clause, f.severity, f.text, coalesce(f.evidence, '{}')
          FROM jsonb_to_recordset(v_doc->'findings')
               AS f("check" text, clause text, severity text, text text, evidence text[]);
    END LOOP;
    RETURN true;
END $$;

-- Accept one submission in the caller's transaction: the batch by name, the
-- bundle once by hash, the job once by idempotency key. Returns the job id
-- and whether it already existed; `conflict` is true when the key is known
-- with another bundle or other standards (the caller refuses it).
CREATE OR REPLACE FUNCTION assay_submit(p_batch text, p_key text, p_unit text,
                                        p_standards text, p_sha256 text, p_content text,
                                        p_max_attempts integer,
                                        OUT job_id bigint, OUT existing boolean,
                                        OUT conflict boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_batch      bigint;
    v_sha256     text;
    v_standards  text;
BEGIN
    INSERT INTO batches (name) VALUES (p_batch)
        ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
        RETURNING id INTO v_batch;
    INSERT INTO bundles (sha256, unit_id, content, size_bytes)
        VALUES (p_sha256, p_unit, p_content, octet_length(p_content))
        ON CONFLICT (sha256) DO NOTHING;
    existing := false;
    conflict := false;
    INSERT INTO jobs (batch_id, unit_id, standards, bundle_sha256, idem_key, max_attempts)
        VALUES (v_batch, p_unit, string_to_array(p_standards, ','), p_sha256, p_key, p_max_attempts)
        ON CONFLICT (idem_key) DO NOTHING
        RETURNING id INTO job_id;
    IF job_id IS NULL THEN
        SELECT j.id, j.bundle_sha256, array_to_string(j.standards, ',')
          INTO job_id, v_sha256, v_standards
          FROM jobs j WHERE j.idem_key = p_key;
        existing := true;
        IF v_sha256 <> p_sha256 OR v_standards <> p_standards THEN
            conflict := true;
            RETURN;
        END IF;
    END IF;
    INSERT INTO batch_jobs (batch_id, job_id) VALUES (v_batch, job_id)
        ON CONFLICT DO NOTHING;
END $$;
