-- 004_intake.sql - set-based intake: a group of submissions in one
-- statement, instead of one assay_submit round trip per submission.
--
-- The broker's intake thread calls assay_submit_many once per group inside
-- its own transaction and answers ACCEPTED only after COMMIT. Semantics are
-- assay_submit's (001_init.sql), applied to the group in input order, as
-- if each row had been submitted after the one before it:
--   * the batch by name, the bundle once by sha256, the job once by
--     idempotency key (the first submission of a key in the group creates
--     it; later ones in the group, or ones whose key is already known, get
--     the existing job, marked `existing`);
--   * `conflict` when the key is known with another bundle or other
--     standards (the broker refuses that submission with code 2; nothing
--     of it is stored, not even its batch membership);
--   * every submission that is not a conflict makes its job a member of
--     its batch (batch_jobs).
-- Idempotent: CREATE OR REPLACE and settings only.

-- Bundles are JSON, compressed in TOAST. lz4 compresses several times
-- faster than the default pglz at a similar ratio; intake writes every
-- bundle, so that is most of the database's work per submission. Rows
-- stored before keep pglz (each value records its method); a server
-- built without lz4 keeps pglz for all.
DO $$
BEGIN
    ALTER TABLE bundles ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'bundles.content stays with pglz: %', SQLERRM;
END $$;

-- Arrays are parallel, one element per submission, all of the same
-- length; the result has one row per submission, in input order.
CREATE OR REPLACE FUNCTION assay_submit_many(p_batches text[], p_keys text[], p_units text[],
                                             p_standards text[], p_sha256 text[],
                                             p_contents text[], p_max_attempts integer)
RETURNS TABLE (job_id bigint, existing boolean, conflict boolean)
LANGUAGE plpgsql
-- A custom plan would fold the arrays (megabytes of bundles) into its
-- constants and copy them for every statement: plan once, generically.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_new_keys text[];
BEGIN
    IF cardinality(p_keys) IS DISTINCT FROM cardinality(p_batches)
       OR cardinality(p_keys) IS DISTINCT FROM cardinality(p_units)
       OR cardinality(p_keys) IS DISTINCT FROM cardinality(p_standards)
       OR cardinality(p_keys) IS DISTINCT FROM cardinality(p_sha256)
       OR cardinality(p_keys) IS DISTINCT FROM cardinality(p_contents) THEN
        RAISE EXCEPTION 'assay_submit_many: arrays of different lengths';
    END IF;

    -- Batches by name (sorted: concurrent callers lock them in one order).
    INSERT INTO batches (name)
        SELECT DISTINCT b.name FROM unnest(p_batches) AS b(name) ORDER BY 1
        ON CONFLICT (name) DO NOTHING;

    -- Each bundle once, by hash; the first submission of it names its unit.
    -- Only hashes and positions are sorted: a bundle's text is read from
    -- the array by position, never copied through a sort or a tuplestore.
    INSERT INTO bundles (sha256, unit_id, content, size_bytes)
        SELECT f.sha, p_units[f.ord], p_contents[f.ord], octet_length(p_contents[f.ord])
          FROM (SELECT DISTINCT ON (u.sha) u.sha, u.ord
                  FROM unnest(p_sha256) WITH ORDINALITY AS u(sha, ord)
                 ORDER BY u.sha, u.ord) f
         WHERE NOT EXISTS (SELECT 1 FROM bundles b WHERE b.sha256 = f.sha)
        ON CONFLICT (sha256) DO NOTHING;

    -- Each key's first submission in the group creates its job, unless the
    -- key is known already; ids follow input order.
    WITH input AS (
        SELECT u.* FROM unnest(p_batches, p_keys, p_units, p_standards, p_sha256)
                        WITH ORDINALITY AS u(batch, key, unit, standards, sha, ord)),
    firsts AS (SELECT DISTINCT ON (i.key) i.* FROM input i ORDER BY i.key, i.ord),
    inserted AS (
        INSERT INTO jobs (batch_id, unit_id, standards, bundle_sha256, idem_key, max_attempts)
        SELECT b.id, f.unit, string_to_array(f.standards, ','), f.sha, f.key, p_max_attempts
          FROM firsts f JOIN batches b ON b.name = f.batch
         ORDER BY f.ord
        ON CONFLICT (idem_key) DO NOTHING
        RETURNING idem_key)
    SELECT array_agg(n.idem_key) INTO v_new_keys FROM inserted n;

    -- Every submission against its job (this statement sees the jobs just
    -- inserted); members of their batches unless in conflict.
    RETURN QUERY
    WITH input AS (
        SELECT u.* FROM unnest(p_batches, p_keys, p_standards, p_sha256)
                        WITH ORDINALITY AS u(batch, key, standards, sha, ord)),
    firsts AS (SELECT i.key, min(i.ord) AS ord FROM input i GROUP BY i.key),
    resolved AS (
        SELECT i.ord, i.batch, j.id AS job_id,
               NOT (n.key IS NOT NULL AND f.ord = i.ord) AS existing,
               (j.bundle_sha256 <> i.sha
                OR array_to_string(j.standards, ',') <> i.standards) AS conflict
          FROM input i
          JOIN firsts f ON f.key = i.key
          LEFT JOIN unnest(v_new_keys) AS n(key) ON n.key = i.key
          LEFT JOIN jobs j ON j.idem_key = i.key),
    members AS (
        INSERT INTO batch_jobs (batch_id, job_id)
        SELECT DISTINCT b.id, r.job_id FROM resolved r JOIN batches b ON b.name = r.batch
         WHERE r.job_id IS NOT NULL AND NOT r.conflict
        ON CONFLICT DO NOTHING)
    SELECT r.job_id, r.existing, r.conflict FROM resolved r ORDER BY r.ord;
END $$;
