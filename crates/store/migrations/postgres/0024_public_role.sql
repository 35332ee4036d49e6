-- The role the public instance connects as (issue 20). It may insert online submissions and
-- their files, phone codes, attempts, ratings and outbox messages, and call the functions
-- below, which read a petition's public facts by its query code and the last four characters
-- of its petitioner's ID number or phone, spend a phone code, count attempts and name the
-- bureau. Nothing else: no table may be read, nothing updated or deleted.
--
-- Roles belong to the whole cluster: the role is created once (by a migrating user that may
-- create roles; otherwise create it first: CREATE ROLE xinfang_public NOLOGIN) and each
-- database grants it its own rights. The instance logs in as a member of it, e.g.
-- CREATE ROLE xinfang_web LOGIN PASSWORD '…' IN ROLE xinfang_public.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xinfang_public') THEN
        BEGIN
            CREATE ROLE xinfang_public NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'xinfang_public not created: the migrating user may not create roles';
        END;
    END IF;
END
$$;

CREATE FUNCTION xinfang_public_bureau()
RETURNS TABLE (id TEXT, code TEXT, name TEXT, organ_code TEXT, region_code TEXT, workday_end TEXT)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT b.id, b.code, b.name, b.organ_code, b.region_code, b.workday_end
      FROM bureaus b ORDER BY b.created_at, b.id LIMIT 1
$$;

-- The townships and street offices a matter may be placed in (public names, for the form).
CREATE FUNCTION xinfang_public_townships(p_bureau TEXT)
RETURNS TABLE (id TEXT, name TEXT)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.id, u.name FROM units u
     WHERE u.bureau_id = p_bureau AND u.active = 1 AND u.kind IN ('township', 'street')
     ORDER BY u.code, u.id
$$;

CREATE FUNCTION xinfang_public_attempts(p_key_hash TEXT, p_since TEXT)
RETURNS BIGINT
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT COUNT(*) FROM public_attempts WHERE key_hash = p_key_hash AND at >= p_since
$$;

-- 'ok' (and spent), 'wrong', or 'none' (no live code for the phone).
CREATE FUNCTION xinfang_public_use_phone_code(p_bureau TEXT, p_phone TEXT, p_hash TEXT, p_now TEXT, p_tries BIGINT)
RETURNS TEXT
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    c RECORD;
BEGIN
    SELECT * INTO c FROM phone_codes
     WHERE bureau_id = p_bureau AND phone = p_phone AND used_at IS NULL AND expires_at > p_now
     ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'none';
    END IF;
    IF c.code_hash = p_hash THEN
        UPDATE phone_codes SET used_at = p_now WHERE id = c.id;
        RETURN 'ok';
    END IF;
    UPDATE phone_codes SET tries = tries + 1,
           used_at = CASE WHEN tries + 1 >= p_tries THEN p_now ELSE NULL END
     WHERE id = c.id;
    RETURN 'wrong';
END
$$;

-- The facts of the petition whose code and last four match, as JSON (NULL: nothing matches):
-- no name, no staff, no internal note; only documents of the kinds meant for the petitioner.
CREATE FUNCTION xinfang_public_facts(p_code TEXT, p_last4 TEXT)
RETURNS TEXT
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p RECORD;
    s RECORD;
BEGIN
    SELECT pe.* INTO p FROM petitions pe
     WHERE pe.query_code = p_code
       AND EXISTS (
           SELECT 1 FROM petitioners x WHERE x.petition_id = pe.id AND (
               (length(regexp_replace(upper(COALESCE(x.id_number, '')), '[^0-9A-Z]', '', 'g')) >= 4
                AND right(regexp_replace(upper(COALESCE(x.id_number, '')), '[^0-9A-Z]', '', 'g'), 4) = p_last4)
            OR (length(regexp_replace(upper(x.phone), '[^0-9A-Z]', '', 'g')) >= 4
                AND right(regexp_replace(upper(x.phone), '[^0-9A-Z]', '', 'g'), 4) = p_last4)))
     ORDER BY pe.registered_at, pe.id LIMIT 1;
    IF FOUND THEN
        RETURN json_build_object(
            'petition_id', p.id,
            'petition_no', p.petition_no,
            'channel', p.channel,
            'stage', p.stage,
            'acceptance', p.acceptance,
            'received_at', p.visited_at,
            'decided_at', p.decided_at,
            'closed_at', (SELECT min(e.at) FROM petition_events e
                           WHERE e.petition_id = p.id AND e.kind IN ('closed', 'circular_issued')),
            'documents', COALESCE((
                SELECT json_agg(json_build_object('id', d.id, 'kind', d.kind, 'doc_no', d.doc_no,
                                                  'issued_at', d.issued_at, 'pdf_hash', d.pdf_hash)
                                ORDER BY d.issued_at, d.id)
                  FROM documents d
                 WHERE d.petition_id = p.id AND d.state = 'issued' AND d.pdf_hash IS NOT NULL
                   AND d.kind IN ('visit_notice_slip', 'visit_transfer_slip', 'extension_notice',
                                  'handling_opinion', 'query_reply_notice', 'acceptance_notice',
                                  'non_acceptance_notice', 'no_longer_accepted_notice')), '[]'::json),
            'opinions', COALESCE((
                SELECT json_agg(json_build_object('unit', u.name, 'unit_id', r.unit_id,
                                                  'decision', r.decision, 'reply', r.reply,
                                                  'served_on', r.reply_served_on)
                                ORDER BY r.submitted_at, r.id)
                  FROM handling_reports r LEFT JOIN units u ON u.id = r.unit_id
                 WHERE r.petition_id = p.id
                   AND (SELECT v.outcome FROM report_reviews v WHERE v.handling_report_id = r.id
                         ORDER BY v.reviewed_at DESC, v.id DESC LIMIT 1) = 'pass'), '[]'::json),
            'appeals', COALESCE((
                SELECT json_agg(json_build_object('level', a.level, 'requested_on', a.requested_on,
                                                  'opinion', a.opinion, 'opinion_on', a.opinion_on,
                                                  'opinion_served_on', a.opinion_served_on)
                                ORDER BY a.requested_on, a.id)
                  FROM appeals a WHERE a.petition_id = p.id), '[]'::json),
            'rated', COALESCE((
                SELECT json_agg(t.subject ORDER BY t.subject) FROM ratings t
                 WHERE t.petition_id = p.id AND t.outcome <> 'refused'), '[]'::json)
        )::text;
    END IF;
    SELECT o.* INTO s FROM online_submissions o
     WHERE o.query_code = p_code AND o.kind = 'petition' AND o.ingested_at IS NULL
       AND (o.id_last4 = p_last4 OR o.phone_last4 = p_last4)
     LIMIT 1;
    IF FOUND THEN
        RETURN json_build_object(
            'petition_id', NULL, 'petition_no', NULL, 'channel', 'online', 'stage', 'received',
            'acceptance', NULL, 'received_at', s.submitted_at, 'decided_at', NULL, 'closed_at', NULL,
            'documents', '[]'::json, 'opinions', '[]'::json, 'appeals', '[]'::json, 'rated', '[]'::json
        )::text;
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION xinfang_public_bureau() FROM PUBLIC;
REVOKE ALL ON FUNCTION xinfang_public_townships(TEXT) FROM PUBLIC;
REVOKE ALL ON FUNCTION xinfang_public_attempts(TEXT, TEXT) FROM PUBLIC;
REVOKE ALL ON FUNCTION xinfang_public_use_phone_code(TEXT, TEXT, TEXT, TEXT, BIGINT) FROM PUBLIC;
REVOKE ALL ON FUNCTION xinfang_public_facts(TEXT, TEXT) FROM PUBLIC;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xinfang_public') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO xinfang_public', current_database());
        GRANT USAGE ON SCHEMA public TO xinfang_public;
        GRANT INSERT ON online_submissions, online_submission_files, phone_codes,
                        public_attempts, ratings, outbox_messages TO xinfang_public;
        GRANT EXECUTE ON FUNCTION xinfang_public_bureau() TO xinfang_public;
        GRANT EXECUTE ON FUNCTION xinfang_public_townships(TEXT) TO xinfang_public;
        GRANT EXECUTE ON FUNCTION xinfang_public_attempts(TEXT, TEXT) TO xinfang_public;
        GRANT EXECUTE ON FUNCTION xinfang_public_use_phone_code(TEXT, TEXT, TEXT, TEXT, BIGINT) TO xinfang_public;
        GRANT EXECUTE ON FUNCTION xinfang_public_facts(TEXT, TEXT) TO xinfang_public;
    END IF;
END
$$;
