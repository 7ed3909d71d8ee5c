-- The two PostgreSQL functions of a validation (ADR 0013, ADR 0017). This file is the
-- source: migrations install it (`respondents.functions.install`), and
-- tests/respondents/test_validation_functions.py checks that what PostgreSQL holds is
-- what is written here. A change here needs a migration that installs it again.
--
-- `respondents_submission_to_judge` reads and locks what quality control needs (the
-- submission, what the panel knew, the survey's status, earlier submissions from the
-- same address and browser). `respondents_record_verdict` records a first verdict of the
-- rules for the usual case: every quota slot still reserved, every count row there.

CREATE OR REPLACE FUNCTION respondents_submission_to_judge(p_submission bigint)
RETURNS TABLE (
    id bigint,
    status varchar,
    verdict varchar,
    answers jsonb,
    seconds double precision,
    ended timestamptz,
    ip_hash varchar,
    user_agent varchar,
    survey_id bigint,
    respondent_id bigint,
    overridden boolean,
    qc_results jsonb,
    interviewer_id integer,
    respondent_known jsonb,
    survey_status varchar,
    survey_version integer,
    survey_subscribers integer,
    is_test boolean,
    earlier json
)
LANGUAGE plpgsql AS $$
-- The submission locked for the rest of the caller's transaction, with its
-- respondent's known variables, its survey's status, version and subscribers' version
-- (whom its verdict is announced to), and the earlier
-- completed, not invalid submissions of the survey from the same address and browser
-- as [id, known, answers] in the order they ended (a test submission is compared with
-- test submissions only, a real one with real ones). The transaction commits without
-- waiting for the disk (ADR 0011).
#variable_conflict use_column
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    RETURN QUERY
    SELECT s.id, s.status, s.verdict, s.answers, s.seconds, s.ended, s.ip_hash,
        s.user_agent, s.survey_id, s.respondent_id, s.overridden, s.qc_results,
        s.interviewer_id, r.known,
        sv.status, sv.questionnaire_version, sv.subscribers_version, s.is_test,
        (
            SELECT json_agg(json_build_array(e.id, er.known, e.answers) ORDER BY e.ended)
            FROM respondents_submission e
            JOIN respondents_respondent er ON er.id = e.respondent_id
            WHERE s.ip_hash <> '' AND e.survey_id = s.survey_id AND e.ip_hash = s.ip_hash
                AND e.user_agent = s.user_agent AND e.status = 'completed'
                AND e.ended < s.ended AND e.verdict <> 'invalid' AND e.is_test = s.is_test
        )
    FROM respondents_submission s
    JOIN respondents_respondent r ON r.id = s.respondent_id
    JOIN surveys_survey sv ON sv.id = s.survey_id
    WHERE s.id = p_submission
    FOR UPDATE OF s;
END
$$;

CREATE OR REPLACE FUNCTION respondents_record_verdict(
    p_submission bigint,
    p_survey bigint,
    p_slot_state varchar,
    p_qc_verdict varchar,
    p_verdict varchar,
    p_results jsonb,
    p_now timestamptz,
    p_day date,
    p_valid integer,
    p_invalid integer,
    p_day_valid integer,
    p_rules jsonb,
    p_sample_target integer
) RETURNS text
LANGUAGE plpgsql AS $$
-- Returns 'general' when the general path must record this verdict (nothing written),
-- 'recorded', or 'closed' when recording it also closed the survey at its target. The
-- caller holds the submission's row lock. A test submission moves no count: it is left
-- to the general path, whichever caller asks (ADR 00XX-h17b).
DECLARE
    slot record;
    valid_now integer;
    closed integer := 0;
BEGIN
    IF EXISTS (
        SELECT 1 FROM respondents_submission WHERE id = p_submission AND is_test
    ) OR EXISTS (
        SELECT 1 FROM respondents_quotaslot
        WHERE submission_id = p_submission AND state <> 'reserved'
    ) OR NOT EXISTS (
        SELECT 1 FROM respondents_surveystats WHERE survey_id = p_survey
    ) OR (p_day_valid <> 0 AND NOT EXISTS (
        SELECT 1 FROM respondents_dailystats WHERE survey_id = p_survey AND day = p_day
    )) OR (p_rules <> '{}'::jsonb AND EXISTS (
        SELECT 1 FROM jsonb_object_keys(p_rules) AS changed(rule)
        WHERE NOT EXISTS (
            SELECT 1 FROM respondents_rulestats kept
            WHERE kept.survey_id = p_survey AND kept.rule = changed.rule
        )
    )) THEN
        RETURN 'general';
    END IF;

    -- Cells in id order, as every other path locks them (ADR 0005). Moving a reserved
    -- slot never needs room: its place is already taken.
    FOR slot IN
        SELECT id, cell_id FROM respondents_quotaslot
        WHERE submission_id = p_submission ORDER BY cell_id
    LOOP
        UPDATE respondents_quotaslot SET state = p_slot_state, updated = p_now
        WHERE id = slot.id;
        IF p_slot_state = 'confirmed' THEN
            UPDATE surveys_quotacell SET reserved = reserved - 1, confirmed = confirmed + 1
            WHERE id = slot.cell_id;
        ELSE
            UPDATE surveys_quotacell SET reserved = reserved - 1, released = released + 1
            WHERE id = slot.cell_id;
        END IF;
    END LOOP;

    UPDATE respondents_surveystats SET valid = valid + p_valid, invalid = invalid + p_invalid
    WHERE survey_id = p_survey
    RETURNING valid INTO valid_now;
    IF p_day_valid <> 0 THEN
        UPDATE respondents_dailystats SET valid = valid + p_day_valid
        WHERE survey_id = p_survey AND day = p_day;
    END IF;
    IF p_rules <> '{}'::jsonb THEN
        UPDATE respondents_rulestats kept SET failed = kept.failed + changed.value::integer
        FROM jsonb_each_text(p_rules) AS changed
        WHERE kept.survey_id = p_survey AND kept.rule = changed.key;
    END IF;

    UPDATE respondents_submission
    SET qc_verdict = p_qc_verdict, qc_results = p_results, verdict = p_verdict,
        validated = p_now
    WHERE id = p_submission;

    IF p_verdict = 'valid' AND p_sample_target > 0 AND valid_now >= p_sample_target THEN
        UPDATE surveys_survey SET status = 'closed' WHERE id = p_survey AND status = 'live';
        GET DIAGNOSTICS closed = ROW_COUNT;
    END IF;
    RETURN CASE WHEN closed > 0 THEN 'closed' ELSE 'recorded' END;
END
$$;
