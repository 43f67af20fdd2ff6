//! Tests of the guard rules (kept apart so the module stays readable).
use super::*;

fn at(text: &str) -> At {
    At::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_cluster_starts_master_first_and_stops_it_last() {
    let plan = plan_schedules(
        "rnd",
        &ids(&["i-m"]),
        &ids(&["i-w1", "i-w2"]),
        Some(at("mon-fri 08:30")),
        Some(at("mon-fri 20:00")),
        false,
    );
    let shown: Vec<(String, String, Vec<String>)> = plan
        .iter()
        .map(|p| (p.key.name(), p.at.to_string(), p.instance_ids.clone()))
        .collect();
    assert_eq!(
        shown,
        vec![
            (
                "skiff-start-rnd-master".into(),
                "08:30 mon-fri".into(),
                ids(&["i-m"])
            ),
            (
                "skiff-start-rnd-workers".into(),
                "08:35 mon-fri".into(),
                ids(&["i-w1", "i-w2"])
            ),
            (
                "skiff-stop-rnd-workers".into(),
                "20:00 mon-fri".into(),
                ids(&["i-w1", "i-w2"])
            ),
            (
                "skiff-stop-rnd-master".into(),
                "20:05 mon-fri".into(),
                ids(&["i-m"])
            ),
        ]
    );
    assert_eq!(plan[0].input(), r#"{"InstanceIds":["i-m"]}"#);
}

#[test]
fn a_lone_instance_has_one_schedule_per_action_and_pause_hibernates() {
    let plan = plan_schedules(
        "box",
        &ids(&["i-1"]),
        &[],
        None,
        Some(at("daily 19:00")),
        true,
    );
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].key.name(), "skiff-stop-box");
    assert_eq!(
        plan[0].input(),
        r#"{"Hibernate":true,"InstanceIds":["i-1"]}"#
    );
    let start = plan_schedules(
        "box",
        &ids(&["i-1"]),
        &[],
        Some(at("daily 07:00")),
        None,
        true,
    );
    assert_eq!(
        start[0].input(),
        r#"{"InstanceIds":["i-1"]}"#,
        "a start never hibernates"
    );
}

#[test]
fn schedule_names_round_trip_and_stay_within_aws_rules() {
    for key in [
        ScheduleKey {
            target: "rnd".into(),
            action: Action::Start,
            part: Part::Master,
        },
        ScheduleKey {
            target: "ds-workbench".into(),
            action: Action::Stop,
            part: Part::All,
        },
        ScheduleKey {
            target: "nightly-etl".into(),
            action: Action::Stop,
            part: Part::Workers,
        },
    ] {
        assert_eq!(ScheduleKey::parse(&key.name()), Some(key.clone()));
    }
    let long = ScheduleKey {
        target: "a very long name with spaces / and slashes that goes on and on".into(),
        action: Action::Start,
        part: Part::Workers,
    };
    let name = long.name();
    assert!(name.len() <= 64, "{name}");
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "{name}"
    );
    assert!(name.ends_with("-workers"));
    assert_eq!(ScheduleKey::parse("someone-elses-schedule"), None);
}

#[test]
fn alarm_names_say_whose_and_which_instance() {
    let n = alarm_name("rnd", "i-0abc");
    assert_eq!(n, "skiff-idle-rnd-i-0abc");
    assert_eq!(alarm_target(&n), Some(("rnd", "i-0abc")));
    assert_eq!(
        alarm_target("skiff-idle-my-box-i-9"),
        Some(("my-box", "i-9"))
    );
    assert_eq!(alarm_target("CPUHigh"), None);
}

#[test]
fn idle_rules_fit_what_cloudwatch_can_do() {
    let r = IdleRule::new(Duration::from_secs(45 * 60), 5.0).expect("45m");
    assert_eq!(r.evaluation_periods(), 9);
    assert_eq!(r.label(), "idle 45m");
    let r = IdleRule::new(Duration::from_secs(22 * 60), 2.5).expect("22m");
    assert_eq!(
        r.after,
        Duration::from_secs(25 * 60),
        "rounded up to whole periods"
    );
    assert_eq!(r.label(), "idle 25m <2.5%");
    for (after, cpu) in [(60, 5.0), (25 * 3600, 5.0), (3600, 0.0), (3600, 100.0)] {
        assert!(
            IdleRule::new(Duration::from_secs(after), cpu).is_err(),
            "{after} {cpu}"
        );
    }
    assert_eq!(
        stop_action("eu-west-1"),
        "arn:aws:automate:eu-west-1:ec2:stop"
    );
}

#[test]
fn the_role_may_start_and_stop_only_the_guarded_instances() {
    let p = permission_policy(
        "123456789012",
        &[
            ("us-east-1".into(), "i-b".into()),
            ("us-east-1".into(), "i-a".into()),
            ("us-east-1".into(), "i-a".into()),
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&p).expect("json");
    assert_eq!(
        v["Statement"][0]["Action"],
        serde_json::json!(["ec2:StartInstances", "ec2:StopInstances"])
    );
    assert_eq!(
        v["Statement"][0]["Resource"],
        serde_json::json!([
            "arn:aws:ec2:us-east-1:123456789012:instance/i-a",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b"
        ])
    );
    let t: serde_json::Value = serde_json::from_str(&trust_policy("123456789012")).expect("json");
    assert_eq!(
        t["Statement"][0]["Principal"]["Service"],
        "scheduler.amazonaws.com"
    );
}

#[test]
fn an_idle_rule_with_the_network_reads_back_from_its_expression() {
    let r = IdleRule::new(Duration::from_secs(3600), 5.0)
        .expect("1h")
        .with_network(Some(DEFAULT_NET_BELOW));
    assert_eq!(r.label(), "idle 1h +net<5.0 MB");
    let e = idle_expression(r.cpu_below, DEFAULT_NET_BELOW);
    assert_eq!(e, "IF(cpu < 5 AND (netin + netout) < 5000000, 1, 0)");
    assert_eq!(parse_idle_expression(&e), Some((5.0, DEFAULT_NET_BELOW)));
    assert_eq!(parse_idle_expression("m1 + m2"), None);
    assert_eq!(
        IdleRule::new(Duration::from_secs(3600), 5.0)
            .expect("1h")
            .with_network(Some(0))
            .net_below,
        None,
        "zero is CPU alone"
    );
}
