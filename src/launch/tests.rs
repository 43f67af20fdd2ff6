use super::*;

fn recipe() -> Recipe {
    Recipe {
        types: vec!["g5.xlarge".into(), "g4dn.xlarge".into()],
        ami: Some("dlami-gpu".into()),
        idle: Some("30m".into()),
        deadline: Some("4h".into()),
        spot: Some("prefer".into()),
        ..Recipe::default()
    }
}

#[test]
fn a_recipe_settles_and_flags_win() {
    let r = recipe();
    let spec = settle("gpu", Some(("gpu", &r)), Overrides::default()).expect("spec");
    assert_eq!(spec.source, Source::Ami("dlami-gpu".into()));
    assert_eq!(spec.types, ["g5.xlarge", "g4dn.xlarge"]);
    assert_eq!(spec.idle, Some(Duration::from_secs(1800)));
    assert_eq!(spec.deadline, Some(Duration::from_secs(4 * 3600)));
    assert_eq!(spec.spot, Spot::Prefer);
    assert_eq!(spec.recipe.as_deref(), Some("gpu"));
    let o = Overrides {
        types: vec!["p3.2xlarge".into()],
        idle: Some("off".into()),
        spot: Some(Spot::No),
        ..Overrides::default()
    };
    let spec = settle("big", Some(("gpu", &r)), o).expect("spec");
    assert_eq!(spec.types, ["p3.2xlarge"]);
    assert_eq!(spec.idle, None, "--idle off");
    assert_eq!(spec.spot, Spot::No);
    assert_eq!(spec.name, "big");
}

#[test]
fn without_a_source_or_with_bad_values_it_says_what_is_missing() {
    let e = settle("x", None, Overrides::default()).expect_err("no source");
    assert!(e.contains("nothing to launch from"), "{e}");
    let e = settle(
        "x",
        None,
        Overrides {
            source: Some(Source::Ami("al2023".into())),
            ..Overrides::default()
        },
    )
    .expect_err("no type");
    assert!(e.contains("--ami needs --type"), "{e}");
    let o = |idle: &str| Overrides {
        source: Some(Source::Ami("al2023".into())),
        types: vec!["t3.micro".into()],
        idle: Some(idle.into()),
        ..Overrides::default()
    };
    assert!(settle("x", None, o("soon")).is_err());
    assert!(settle("x", None, o("10s")).is_err(), "under a minute");
    let spec = settle("x", None, o("2h")).expect("spec");
    assert_eq!(spec.idle, Some(Duration::from_secs(7200)));
    assert_eq!(spec.count, 1);
    assert_eq!(
        settle(
            "x",
            None,
            Overrides {
                idle: None,
                ..o("1h")
            }
        )
        .expect("default")
        .idle,
        Some(DEFAULT_IDLE),
        "guarded from the first second by default"
    );
}

#[test]
fn capacity_is_tried_zone_by_zone_then_type_then_on_demand() {
    let mut spec = settle("g", Some(("gpu", &recipe())), Overrides::default()).expect("spec");
    spec.subnets = vec!["subnet-a".into(), "subnet-b".into()];
    let tries: Vec<(String, String, bool)> = attempts(&spec)
        .into_iter()
        .map(|a| {
            (
                a.instance_type.unwrap_or_default(),
                a.subnet.unwrap_or_default(),
                a.spot,
            )
        })
        .collect();
    assert_eq!(tries.len(), 8);
    assert_eq!(tries[0], ("g5.xlarge".into(), "subnet-a".into(), true));
    assert_eq!(tries[1], ("g5.xlarge".into(), "subnet-b".into(), true));
    assert_eq!(tries[2], ("g4dn.xlarge".into(), "subnet-a".into(), true));
    assert!(tries[4..].iter().all(|t| !t.2), "on demand only after spot");
    spec.spot = Spot::Yes;
    assert!(attempts(&spec).iter().all(|a| a.spot), "spot only");
    assert!(is_capacity_error("InsufficientInstanceCapacity"));
    assert!(!is_capacity_error("UnauthorizedOperation"));
}

#[test]
fn templates_aliases_and_deadlines_read_as_typed() {
    assert_eq!(
        Source::template("gpu-lt:3"),
        Source::Template {
            name: "gpu-lt".into(),
            version: Some("3".into())
        }
    );
    assert_eq!(
        Source::template("lt-0abc"),
        Source::Template {
            name: "lt-0abc".into(),
            version: None
        }
    );
    assert!(alias_parameter("AL2023").is_some_and(|p| p.contains("al2023")));
    assert_eq!(alias_parameter("ami-123"), None);
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-05T10:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let (at, expr) = deadline_expression(now, Duration::from_secs(4 * 3600));
    assert_eq!(expr, "at(2026-12-05T14:00:00)");
    assert_eq!(deadline_of(&expr), Some(at));
    assert_eq!(deadline_of("cron(0 19 ? * MON-FRI *)"), None);
    let name = deadline_name("gpu box", "i-0123456789abcdef0");
    assert_eq!(name, "skiff-until-gpu-box-i-0123456789abcdef0");
    assert_eq!(deadline_target(&name), Some("gpu-box"));
    let long = deadline_name(&"x".repeat(100), "i-0123456789abcdef0");
    assert!(
        long.len() <= 64 && long.ends_with("-i-0123456789abcdef0"),
        "{long}"
    );
}

#[test]
fn every_machine_is_tagged_with_its_name_launcher_recipe_and_cluster() {
    let mut spec = settle(
        "rnd-master",
        Some(("spark", &recipe())),
        Overrides::default(),
    )
    .expect("spec");
    spec.member = Some(Membership {
        cluster: "rnd".into(),
        role: "master".into(),
    });
    let tags = tags(
        &spec,
        "arn:aws:iam::1:user/me",
        ("skiff:cluster", "skiff:role"),
    );
    let get = |k: &str| tags.iter().find(|(t, _)| t == k).map(|(_, v)| v.as_str());
    assert_eq!(get("Name"), Some("rnd-master"));
    assert_eq!(get(LAUNCHED_BY_TAG), Some("arn:aws:iam::1:user/me"));
    assert_eq!(get(RECIPE_TAG), Some("spark"));
    assert_eq!(get("skiff:cluster"), Some("rnd"));
    assert_eq!(get("skiff:role"), Some("master"));
}
