//! Tests of the parent module (kept apart so the module stays readable).
use super::*;
use crate::lifecycle::target::resolve;
use crate::sandbox::world as demo;

const OPTS: PlanOptions = PlanOptions {
    emr_pause_core_count: 1,
};

fn plan_for(inv: &Inventory, query: &str, verb: Verb) -> Result<Plan, Refusal> {
    let target = resolve(inv, query).expect("target");
    plan(inv, &target, verb, &OPTS, None)
}

fn names(phase: &Phase) -> Vec<&str> {
    phase.actions.iter().map(|a| a.name.as_str()).collect()
}

fn phases(p: &Plan) -> &[Phase] {
    match &p.work {
        Work::Ec2 { phases } => phases,
        other => panic!("not EC2 work: {other:?}"),
    }
}

fn with_states(inv: &mut Inventory, prefix: &str, state: InstanceState) {
    for i in inv
        .instances
        .iter_mut()
        .filter(|i| i.display_name().starts_with(prefix))
    {
        i.state = state;
    }
}

#[test]
fn cluster_start_is_master_first_then_workers() {
    let mut inv = demo::inventory();
    with_states(&mut inv, "rnd-", InstanceState::Stopped);
    let p = plan_for(&inv, "rnd", Verb::Start).expect("plan");
    let ph = phases(&p);
    assert_eq!((ph[0].label, names(&ph[0])), ("master", vec!["rnd-master"]));
    assert!(ph[0].wait_before_next, "workers wait for a running master");
    assert_eq!(names(&ph[1]), ["rnd-slave-1", "rnd-slave-2", "rnd-slave-3"]);
    assert!(
        ph.iter()
            .flat_map(|p| &p.actions)
            .all(|a| a.op == Ec2Op::Start)
    );
}

#[test]
fn cluster_stop_and_pause_take_workers_first_master_last() {
    let inv = demo::inventory();
    for (verb, op) in [
        (Verb::Stop, Ec2Op::Stop),
        (Verb::Pause, Ec2Op::Hibernate),
        (Verb::Terminate, Ec2Op::Terminate),
    ] {
        let p = plan_for(&inv, "rnd", verb).expect("plan");
        let ph = phases(&p);
        assert_eq!(ph[0].label, "workers");
        assert_eq!(ph[0].actions.len(), 3);
        assert!(ph[0].wait_before_next);
        assert_eq!(names(&ph[1]), ["rnd-master"]);
        assert!(p.actions().iter().all(|a| a.op == op), "{verb}");
    }
}

#[test]
fn running_again_finishes_the_job_and_says_what_was_already_done() {
    let mut inv = demo::inventory();
    with_states(&mut inv, "rnd-", InstanceState::Stopped);
    inv.instances
        .iter_mut()
        .find(|i| i.display_name() == "rnd-master")
        .expect("m")
        .state = InstanceState::Running;
    inv.instances
        .iter_mut()
        .find(|i| i.display_name() == "rnd-slave-1")
        .expect("s")
        .state = InstanceState::Running;
    let p = plan_for(&inv, "rnd", Verb::Start).expect("plan");
    assert!(phases(&p)[0].actions.is_empty(), "master already runs");
    assert_eq!(names(&phases(&p)[1]), ["rnd-slave-2", "rnd-slave-3"]);
    assert_eq!(p.already.len(), 2, "{:?}", p.already);
    assert!(p.already[0].contains("rnd-master") && p.already[0].ends_with("already running"));

    with_states(&mut inv, "rnd-", InstanceState::Running);
    let p = plan_for(&inv, "rnd", Verb::Start).expect("plan");
    assert!(p.is_noop());
    assert_eq!(p.already.len(), 4);
}

#[test]
fn pause_needs_hibernation_and_offers_stop() {
    let inv = demo::inventory();
    let p = plan_for(&inv, "ds-workbench", Verb::Pause).expect("hibernation configured");
    assert_eq!(p.actions()[0].op, Ec2Op::Hibernate);
    let err = plan_for(&inv, "eu-etl", Verb::Pause).expect_err("not configured");
    assert_eq!(err.suggestion, Some(Verb::Stop));
    assert!(
        err.to_string().contains("without hibernation configured"),
        "{err}"
    );
    assert!(err.to_string().ends_with("(use `stop` instead)"), "{err}");
    let err = plan_for(&inv, "legacy", Verb::Pause).expect_err("spark-ec2 nodes lack it");
    assert!(
        err.to_string()
            .contains("legacy-master, legacy-slave-1, legacy-slave-2 were launched"),
        "{err}"
    );
}

#[test]
fn instance_verbs_against_each_state() {
    use InstanceState::*;
    let inv = demo::inventory();
    let base = inv
        .instances
        .iter()
        .find(|i| i.display_name() == "ds-workbench")
        .expect("ds")
        .clone();
    /// Verb, state, and the call planned (None: a no-op) or words of the refusal.
    type Case = (Verb, InstanceState, Result<Option<Ec2Op>, &'static str>);
    let cases: &[Case] = &[
        (Verb::Start, Stopped, Ok(Some(Ec2Op::Start))),
        (Verb::Start, Running, Ok(None)),
        (Verb::Start, Stopping, Err("once it has stopped")),
        (Verb::Resume, Stopped, Ok(Some(Ec2Op::Start))),
        (Verb::Stop, Running, Ok(Some(Ec2Op::Stop))),
        (Verb::Stop, Pending, Ok(Some(Ec2Op::Stop))),
        (Verb::Stop, Stopped, Ok(None)),
        (Verb::Pause, Running, Ok(Some(Ec2Op::Hibernate))),
        (Verb::Pause, Pending, Err("still starting")),
        (Verb::Reboot, Running, Ok(Some(Ec2Op::Reboot))),
        (Verb::Reboot, Stopped, Err("only a running instance")),
        (Verb::Terminate, Stopped, Ok(Some(Ec2Op::Terminate))),
        (Verb::Terminate, Terminated, Ok(None)),
        (Verb::Start, Terminated, Err("is terminated")),
    ];
    for (verb, state, want) in cases {
        let mut i = base.clone();
        i.state = *state;
        let got = node_step(&i, *verb);
        match (want, got) {
            (Ok(op), Ok((action, note))) => {
                assert_eq!(action.map(|a| a.op), *op, "{verb} on {state}");
                assert_eq!(
                    note.is_some(),
                    op.is_none(),
                    "{verb} on {state}: a no-op says so"
                );
            }
            (Err(needle), Err(r)) => {
                assert!(r.to_string().contains(needle), "{verb} on {state}: {r}")
            }
            (want, got) => panic!("{verb} on {state}: want {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn emr_cannot_stop_but_pause_scales_task_to_zero_and_core_to_the_minimum() {
    let inv = demo::inventory();
    let err = plan_for(&inv, "analytics", Verb::Stop).expect_err("EMR cannot stop");
    assert!(
        err.to_string()
            .starts_with("EMR clusters cannot be stopped"),
        "{err}"
    );
    assert_eq!(err.suggestion, Some(Verb::Pause));

    let p = plan_for(&inv, "analytics", Verb::Pause).expect("pause");
    let Work::EmrResize {
        resizes,
        remember,
        forget,
        ..
    } = &p.work
    else {
        panic!("{p:?}")
    };
    let got: Vec<(&str, i32, i32)> = resizes
        .iter()
        .map(|r| (r.role.as_str(), r.from, r.to))
        .collect();
    assert_eq!(got, [("CORE", 2, 1), ("TASK", 2, 0)]);
    let saved = remember.as_ref().expect("counts saved");
    assert_eq!(saved.groups.get("ig-DEMOCORE"), Some(&2));
    assert_eq!(saved.groups.get("ig-DEMOTASK"), Some(&2));
    assert!(!forget);
}

#[test]
fn emr_resume_restores_saved_counts_and_a_second_pause_keeps_them() {
    let mut inv = demo::inventory();
    let target = resolve(&inv, "analytics").expect("target");
    let first = plan(&inv, &target, Verb::Pause, &OPTS, None).expect("pause");
    let Work::EmrResize {
        remember: Some(saved),
        ..
    } = &first.work
    else {
        panic!()
    };
    // Apply the pause to the inventory, then pause again: a no-op that keeps the counts.
    for g in &mut inv.emr_clusters[0].instance_groups {
        match g.role.as_str() {
            "TASK" => g.requested = 0,
            "CORE" => g.requested = 1,
            _ => {}
        }
    }
    let again = plan(&inv, &target, Verb::Pause, &OPTS, Some(saved)).expect("pause again");
    assert!(again.is_noop());
    assert_eq!(again.already.len(), 2);

    let resume = plan(&inv, &target, Verb::Resume, &OPTS, Some(saved)).expect("resume");
    let Work::EmrResize {
        resizes, forget, ..
    } = &resume.work
    else {
        panic!()
    };
    let got: Vec<(&str, i32, i32)> = resizes
        .iter()
        .map(|r| (r.role.as_str(), r.from, r.to))
        .collect();
    assert_eq!(got, [("CORE", 1, 2), ("TASK", 0, 2)]);
    assert!(forget);

    let err = plan(&inv, &target, Verb::Resume, &OPTS, None).expect_err("nothing saved");
    assert!(
        err.to_string().contains("no saved instance counts"),
        "{err}"
    );
}

#[test]
fn emr_terminate_respects_protection() {
    let mut inv = demo::inventory();
    let err = plan_for(&inv, "analytics", Verb::Terminate).expect_err("protected");
    assert!(
        err.to_string().contains("has termination protection on"),
        "{err}"
    );
    inv.emr_clusters[0].termination_protected = false;
    let p = plan_for(&inv, "analytics", Verb::Terminate).expect("unprotected");
    assert!(matches!(p.work, Work::EmrTerminate { .. }));
}

#[test]
fn terminate_confirmation_must_name_the_target() {
    let inv = demo::inventory();
    let ds = resolve(&inv, "ds-workbench").expect("ds");
    assert!(confirmation_matches(&inv, &ds, "ds-workbench"));
    assert!(confirmation_matches(&inv, &ds, &ds.to_string()));
    assert!(!confirmation_matches(&inv, &ds, "ds-work"));
    assert!(!confirmation_matches(&inv, &ds, ""));
    let rnd = resolve(&inv, "rnd").expect("rnd");
    assert!(confirmation_matches(&inv, &rnd, "rnd"));
    assert!(!confirmation_matches(&inv, &rnd, "RND"));
}

#[test]
fn an_emr_node_is_refused_with_its_cluster_and_the_verb_to_use() {
    let mut inv = demo::inventory();
    let cluster = inv.emr_clusters[0].clone();
    let mut node = inv.instances[0].clone();
    node.id = "i-emrcore1".into();
    node.name = None;
    node.state = InstanceState::Running;
    node.tags
        .insert(crate::model::EMR_CLUSTER_TAG.into(), cluster.id.clone());
    node.tags
        .insert(crate::model::EMR_ROLE_TAG.into(), "CORE".into());
    inv.instances.push(node);
    let target = Target::Instance {
        id: "i-emrcore1".into(),
    };
    for (verb, words) in [
        (
            Verb::Stop,
            format!("pause the cluster instead (`skiff pause {}`", cluster.name),
        ),
        (Verb::Pause, format!("`skiff pause {}`", cluster.name)),
        (
            Verb::Terminate,
            format!("`skiff terminate {0} --confirm {0}`", cluster.name),
        ),
        (Verb::Reboot, "does not offer it".to_string()),
    ] {
        let err = plan(&inv, &target, verb, &OPTS, None).expect_err("an EMR node");
        let text = err.to_string();
        assert!(
            text.contains(&format!("a CORE node of EMR cluster {}", cluster.name)),
            "{verb}: {text}"
        );
        assert!(text.contains(&words), "{verb}: {text}");
    }
    // Starting a node that was stopped by accident stays possible.
    let mut stopped = inv.clone();
    if let Some(i) = stopped.instances.iter_mut().find(|i| i.id == "i-emrcore1") {
        i.state = InstanceState::Stopped;
    }
    assert!(plan(&stopped, &target, Verb::Start, &OPTS, None).is_ok());
}

#[test]
fn a_terminated_instance_says_what_it_cannot_be_in_proper_words() {
    let mut inv = demo::inventory();
    inv.instances[0].state = InstanceState::Terminated;
    let target = Target::Instance {
        id: inv.instances[0].id.clone(),
    };
    for (verb, word) in [
        (Verb::Stop, "cannot be stopped"),
        (Verb::Start, "cannot be started"),
        (Verb::Pause, "cannot be paused"),
        (Verb::Reboot, "cannot be rebooted"),
    ] {
        let err = plan(&inv, &target, verb, &OPTS, None).expect_err("terminated");
        assert!(err.to_string().contains(word), "{verb}: {err}");
    }
}

#[test]
fn a_lost_answer_is_judged_by_the_state_seen_after_it() {
    use InstanceState as S;
    let all = [
        S::Pending,
        S::Running,
        S::Stopping,
        S::Stopped,
        S::ShuttingDown,
        S::Terminated,
        S::Unknown,
    ];
    let took = |op: Ec2Op| -> Vec<S> { all.iter().copied().filter(|s| op.underway(*s)).collect() };
    assert_eq!(took(Ec2Op::Start), vec![S::Pending, S::Running]);
    assert_eq!(took(Ec2Op::Stop), vec![S::Stopping, S::Stopped]);
    assert_eq!(took(Ec2Op::Hibernate), vec![S::Stopping, S::Stopped]);
    assert_eq!(took(Ec2Op::Terminate), vec![S::ShuttingDown, S::Terminated]);
    assert!(took(Ec2Op::Reboot).is_empty(), "a reboot leaves no trace");
}
