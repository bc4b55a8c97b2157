//! Unit and property tests of support-ticket summaries.
use super::*;
use proptest::prelude::*;

const F: &str = "crm.service_agg";

fn ticket(response: Option<i64>, resolution: Option<i64>, replies: i32, reopened: bool) -> Ticket {
    Ticket {
        first_response: response,
        resolution,
        agent_replies: Some(replies),
        reopened,
        waiting_response: None,
        waiting_resolution: None,
    }
}

/// `percentile_disc` written out: the value at row ceil(f·n) (1-based, at least 1).
fn percentile_disc(values: &[i64], fraction: f64) -> Option<i64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let row = ((fraction * n as f64).ceil() as usize).clamp(1, n);
    Some(sorted[row - 1])
}

#[test]
fn counts_rates_and_percentiles() {
    let mut s = ServiceSummary::new(TimeKind::Elapsed);
    s.add(F, ticket(Some(10), Some(100), 1, false)).unwrap();
    s.add(F, ticket(Some(30), Some(300), 3, false)).unwrap();
    s.add(F, ticket(Some(20), Some(200), 0, true)).unwrap();
    s.add(F, ticket(None, None, 0, true)).unwrap();
    assert_eq!((s.tickets, s.responded(), s.resolved()), (4, 3, 3));
    assert_eq!((s.reopened, s.first_contact_resolved), (1, 1));
    assert_eq!(s.fcr_rate(), Some(1.0 / 3.0));
    assert_eq!(s.reopen_rate(), Some(1.0 / 3.0));
    assert_eq!(
        s.percentile(F, Metric::FirstResponse, 0.5).unwrap(),
        Some(20)
    );
    assert_eq!(
        s.percentile(F, Metric::FirstResponse, 0.0).unwrap(),
        Some(10)
    );
    assert_eq!(
        s.percentile(F, Metric::FirstResponse, 1.0).unwrap(),
        Some(30)
    );
    assert_eq!(
        s.percentile(F, Metric::Resolution, 0.34).unwrap(),
        Some(200)
    );
    assert!(s.percentile(F, Metric::Resolution, 1.5).is_err());
    assert!(s.percentile(F, Metric::Resolution, f64::NAN).is_err());
    assert_eq!(s.mean(Metric::FirstResponse), Some(20));
    assert_eq!(s.attainment(Metric::FirstResponse, 20), Some(2.0 / 3.0));
    assert_eq!(s.attainment(Metric::Resolution, 99), Some(0.0));
    let empty = ServiceSummary::new(TimeKind::Business);
    assert_eq!(empty.fcr_rate(), None);
    assert_eq!(empty.mean(Metric::Resolution), None);
    assert!(s.clone().add(F, ticket(None, None, -1, false)).is_err());
    assert!(matches!(
        s.merge(F, &empty),
        Err(MetricError::InvalidParameter(_))
    ));
    assert!(check_duration(F, "first_response_at", -1).is_err());
}

#[test]
fn forms_round_trip_and_refuse_bad_values() {
    let mut s = ServiceSummary::new(TimeKind::Business);
    s.add(F, ticket(Some(60_000_000), Some(3_600_000_000), 1, false))
        .unwrap();
    s.add(F, ticket(Some(5), None, 2, false)).unwrap();
    let text = s.to_text().unwrap();
    assert_eq!(
        text,
        r#"{"version":1,"time":"business","tickets":2,"reopened":0,"first_contact_resolved":1,"first_response_us":[5,60000000],"resolution_us":[3600000000]}"#
    );
    assert_eq!(ServiceSummary::from_text(&text).unwrap(), s);
    let bytes = s.encode().unwrap();
    assert_eq!(bytes[..6], [1, 1, 2, 0, 1, 2]);
    assert_eq!(ServiceSummary::decode(&bytes).unwrap(), s);
    for cut in 0..bytes.len() {
        assert!(ServiceSummary::decode(&bytes[..cut]).is_err());
    }
    // The same summary with 2^63 tickets (and more than a bigint of tickets unanswered): refused.
    let mut writer = crate::common::codec::Writer::with_version(1);
    writer.u8(1).u64(1 << 63);
    let mut big = writer.finish(F).unwrap();
    big.extend_from_slice(&bytes[3..]);
    assert!(ServiceSummary::decode(&big).is_err());
    for bad in [
        "[1,2]",
        r#"{"version":2,"time":"business","tickets":2,"reopened":0,"first_contact_resolved":1,"first_response_us":[],"resolution_us":[]}"#,
        r#"{"version":1,"time":"wall","tickets":2,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[]}"#,
        r#"{"version":1,"time":"elapsed","tickets":0,"reopened":0,"first_contact_resolved":0,"first_response_us":[1],"resolution_us":[]}"#,
        r#"{"version":1,"time":"elapsed","tickets":1,"reopened":1,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[]}"#,
        r#"{"version":1,"time":"elapsed","tickets":1,"reopened":0,"first_contact_resolved":0,"first_response_us":[-1],"resolution_us":[]}"#,
        r#"{"version":1,"time":"elapsed","tickets":18446744073709551616,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[]}"#,
        r#"{"version":1,"time":"elapsed","tickets":9223372036854775808,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[]}"#,
    ] {
        assert!(
            matches!(
                ServiceSummary::from_text(bad),
                Err(MetricError::InvalidText(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn unknown_agent_replies_are_left_out_of_fcr() {
    let mut s = ServiceSummary::new(TimeKind::Elapsed);
    s.add(F, ticket(Some(10), Some(100), 1, false)).unwrap();
    s.add(F, ticket(Some(10), Some(100), 2, false)).unwrap();
    let unknown = Ticket {
        agent_replies: None,
        ..ticket(Some(10), Some(100), 0, false)
    };
    s.add(F, unknown).unwrap();
    s.add(F, unknown).unwrap();
    // An open ticket of unknown replies counts nowhere.
    s.add(
        F,
        Ticket {
            agent_replies: None,
            ..ticket(None, None, 0, false)
        },
    )
    .unwrap();
    assert_eq!((s.resolved(), s.unknown_replies), (4, 2));
    assert_eq!(s.fcr_rate(), Some(0.5));
    assert_eq!(s.reopen_rate(), Some(0.0));
    // Version 2 forms, round trip.
    let text = s.to_text().unwrap();
    assert!(text.starts_with(r#"{"version":2,"#), "{text}");
    assert!(text.contains(r#""unknown_replies":2"#), "{text}");
    assert_eq!(ServiceSummary::from_text(&text).unwrap(), s);
    let bytes = s.encode().unwrap();
    assert_eq!(bytes[0], 2);
    assert_eq!(ServiceSummary::decode(&bytes).unwrap(), s);
    // Only unknown counts: no rate.
    let mut only = ServiceSummary::new(TimeKind::Elapsed);
    only.add(F, unknown).unwrap();
    assert_eq!(only.fcr_rate(), None);
    // Version 1 cannot carry the new field.
    assert!(
        ServiceSummary::from_text(&text.replacen("\"version\":2", "\"version\":1", 1)).is_err()
    );
}

fn waiting(response: Result<i64, i64>, resolution: Result<i64, i64>) -> Ticket {
    Ticket {
        first_response: response.ok(),
        resolution: resolution.ok(),
        agent_replies: Some(1),
        reopened: false,
        waiting_response: response.err(),
        waiting_resolution: resolution.err(),
    }
}

#[test]
fn as_of_counts_late_waiting_tickets_as_breached() {
    const HOUR: i64 = 3_600_000_000;
    let target = 2 * HOUR;
    // 24 tickets unanswered at as_of: 22 have waited past 2 hours, 2 are within it.
    let mut s = ServiceSummary::new_as_of(TimeKind::Business);
    for i in 0..22 {
        s.add(F, waiting(Err(3 * HOUR + i), Err(3 * HOUR + i)))
            .unwrap();
    }
    s.add(F, waiting(Err(HOUR), Err(HOUR))).unwrap();
    s.add(F, waiting(Err(target), Err(target))).unwrap();
    let counts = s.sla_counts(Metric::FirstResponse, target);
    assert_eq!(
        counts,
        SlaCounts {
            met: 0,
            breached: 22,
            pending: 2
        }
    );
    assert_eq!(s.attainment(Metric::FirstResponse, target), Some(0.0));
    // Two answered tickets, one within the target, one late.
    s.add(F, waiting(Ok(HOUR), Err(HOUR))).unwrap();
    s.add(F, waiting(Ok(target + 1), Ok(5 * HOUR))).unwrap();
    assert_eq!(
        s.sla_counts(Metric::FirstResponse, target),
        SlaCounts {
            met: 1,
            breached: 23,
            pending: 2
        }
    );
    assert_eq!(
        s.sla_counts(Metric::Resolution, target),
        SlaCounts {
            met: 0,
            breached: 23,
            pending: 3
        }
    );
    assert_eq!(
        s.attainment(Metric::FirstResponse, target),
        Some(1.0 / 24.0)
    );
    // Forms round-trip (version 2), every cut of the bytes is refused.
    let text = s.to_text().unwrap();
    assert!(text.contains(r#""waiting_first_response_us":["#), "{text}");
    assert_eq!(ServiceSummary::from_text(&text).unwrap(), s);
    let bytes = s.encode().unwrap();
    assert_eq!(bytes[0], 2);
    assert_eq!(ServiceSummary::decode(&bytes).unwrap(), s);
    for cut in 0..bytes.len() {
        assert!(ServiceSummary::decode(&bytes[..cut]).is_err());
    }
    // Summaries with and without as_of do not merge; tickets with waiting times need as_of.
    let mut plain = ServiceSummary::new(TimeKind::Business);
    assert!(matches!(
        plain.merge(F, &s),
        Err(MetricError::InvalidParameter(_))
    ));
    assert!(plain.add(F, waiting(Err(1), Err(1))).is_err());
    assert!(s.add(F, ticket(None, None, 0, false)).is_err());
    // Waiting tickets must add up to the tickets.
    for bad in [
        r#"{"version":2,"time":"business","tickets":2,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[],"waiting_first_response_us":[1],"waiting_resolution_us":[1,2]}"#,
        r#"{"version":2,"time":"business","tickets":1,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[],"waiting_first_response_us":[1]}"#,
        r#"{"version":2,"time":"business","tickets":1,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[],"waiting_first_response_us":[-1],"waiting_resolution_us":[1]}"#,
        r#"{"version":3,"time":"business","tickets":0,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[]}"#,
        // as_of is taken with a calendar only: never in elapsed time.
        r#"{"version":2,"time":"elapsed","tickets":1,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[],"waiting_first_response_us":[1],"waiting_resolution_us":[1]}"#,
    ] {
        assert!(
            matches!(
                ServiceSummary::from_text(bad),
                Err(MetricError::InvalidText(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn without_as_of_waiting_tickets_are_pending_and_attainment_is_unchanged() {
    let mut s = ServiceSummary::new(TimeKind::Elapsed);
    s.add(F, ticket(Some(10), None, 0, false)).unwrap();
    s.add(F, ticket(Some(30), None, 0, false)).unwrap();
    s.add(F, ticket(None, None, 0, false)).unwrap();
    assert_eq!(
        s.sla_counts(Metric::FirstResponse, 20),
        SlaCounts {
            met: 1,
            breached: 1,
            pending: 1
        }
    );
    assert_eq!(s.attainment(Metric::FirstResponse, 20), Some(0.5));
    // A version 1 value still decodes (the first release's bytes) and encodes the same.
    let bytes = s.encode().unwrap();
    assert_eq!(bytes[0], 1);
    assert_eq!(
        ServiceSummary::decode(&bytes).unwrap().encode().unwrap(),
        bytes
    );
}

fn any_ticket() -> impl Strategy<Value = Ticket> {
    (
        prop::option::of(0i64..1_000_000),
        prop::option::of(0i64..1_000_000),
        0i32..4,
        any::<bool>(),
    )
        .prop_map(|(r, s, replies, reopened)| ticket(r, s, replies, reopened))
}

proptest! {
    #[test]
    fn split_and_merge_equals_one_pass(
        tickets in prop::collection::vec(any_ticket(), 0..200),
        cut in 0usize..200,
        fraction in 0.0f64..=1.0,
    ) {
        let cut = cut.min(tickets.len());
        let mut whole = ServiceSummary::new(TimeKind::Elapsed);
        let (mut left, mut right) = (whole.clone(), whole.clone());
        for (i, t) in tickets.iter().enumerate() {
            whole.add(F, *t).unwrap();
            if i < cut { left.add(F, *t).unwrap() } else { right.add(F, *t).unwrap() }
        }
        right.merge(F, &left).unwrap();
        prop_assert_eq!(right.encode().unwrap(), whole.encode().unwrap());
        let responses: Vec<i64> = tickets.iter().filter_map(|t| t.first_response).collect();
        prop_assert_eq!(whole.percentile(F, Metric::FirstResponse, fraction).unwrap(), percentile_disc(&responses, fraction));
        prop_assert_eq!(ServiceSummary::decode(&whole.encode().unwrap()).unwrap(), whole.clone());
        prop_assert_eq!(ServiceSummary::from_text(&whole.to_text().unwrap()).unwrap(), whole);
    }
}
