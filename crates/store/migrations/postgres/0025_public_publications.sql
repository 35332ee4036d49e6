-- The public instance shows the replies published on the internet (issue 19): the restricted role
-- reads them through these functions, published rows only, and nothing else of the table.
CREATE FUNCTION xinfang_public_publications(p_bureau TEXT)
RETURNS TABLE (id TEXT, petition_id TEXT, title TEXT, matter TEXT, result TEXT, channel_label TEXT,
               closed_on TEXT, approval_id TEXT, state TEXT, proposed_by TEXT, proposed_at TEXT,
               published_at TEXT, withdrawn_by TEXT, withdrawn_at TEXT, withdraw_reason TEXT)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT x.id, '', x.title, x.matter, x.result, x.channel_label, x.closed_on, '', x.state, '',
           '', x.published_at, NULL, NULL, ''
      FROM publications x
     WHERE x.bureau_id = p_bureau AND x.state = 'published'
     ORDER BY x.published_at DESC, x.id
$$;

REVOKE ALL ON FUNCTION xinfang_public_publications(TEXT) FROM PUBLIC;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xinfang_public') THEN
        GRANT EXECUTE ON FUNCTION xinfang_public_publications(TEXT) TO xinfang_public;
    END IF;
END
$$;
