//! The Buckets view: the account's buckets; enter opens one as a browser
//! (the Objects view), `:mb NAME` makes one.

use std::any::Any;

use crate::cloud::actions::Done;
use crate::config::{Action, Binding};
use crate::render::{self, Column, RowKey};
use crate::tui::ctx::{Ctx, Event};
use crate::tui::msg::ViewId;
use crate::tui::notify::Say;
use crate::tui::pane::Pane;
use crate::tui::view::{About, Details, View};
use crate::tui::world::World;

pub const ID: ViewId = ViewId("buckets");

const HINTS: &[(Action, &str)] = &[
    (Action::Details, "open"),
    (Action::Filter, "filter"),
    (Action::Refresh, "refresh"),
    (Action::Help, "help"),
];

/// A bucket was made (or not).
struct Made {
    name: String,
    result: Result<(Done, String), String>,
}

pub struct Buckets {
    pane: Pane,
}

impl Default for Buckets {
    fn default() -> Self {
        Self {
            pane: Pane::sorted_by_name(render::buckets::COLUMNS),
        }
    }
}

impl Buckets {
    fn make_bucket(name: String, cx: &mut Ctx<'_>) {
        if let Err(e) = crate::ops::transfer::plan::check_bucket_name(&name) {
            return cx.warn(e);
        }
        let Some(actions) = cx.actions() else {
            return cx.warn("not connected yet");
        };
        cx.spawn(ID, async move {
            let result = crate::ops::objects::make_bucket(&actions, &name).await;
            Made { name, result }
        });
    }
}

const ABOUT: About = About {
    id: ID,
    title: "Buckets",
    commands: &["buckets", "bucket", "b", "s3"],
    command_args: &[("mb", "NAME (make a bucket)")],
    binding: Some(Binding {
        name: "buckets",
        keys: &["3"],
        help: "Buckets view",
    }),
    under: None,
    hints: HINTS,
    help: &["The account's S3 buckets; enter opens one to browse, download and upload."],
};

impl View for Buckets {
    fn about(&self) -> &'static About {
        &ABOUT
    }

    fn columns(&self) -> &'static [Column] {
        render::buckets::COLUMNS
    }

    fn pane(&self) -> &Pane {
        &self.pane
    }

    fn pane_mut(&mut self) -> &mut Pane {
        &mut self.pane
    }

    fn sync(&mut self, world: &World, width: u16) {
        self.pane
            .table
            .refresh(world.version, render::buckets::COLUMNS, width, || {
                world
                    .inventory
                    .buckets
                    .iter()
                    .map(render::buckets::row)
                    .collect()
            });
    }

    fn on_action(&mut self, action: Action, cx: &mut Ctx<'_>) -> bool {
        if action != Action::Details {
            return false;
        }
        if let Some(RowKey::Bucket(bucket)) = self.pane.table.selected().map(|r| r.key.clone()) {
            cx.emit(Event::Browse {
                bucket,
                prefix: String::new(),
            });
        }
        true
    }

    fn on_command(&mut self, word: &str, args: &str, cx: &mut Ctx<'_>) -> bool {
        if word != "mb" {
            return false;
        }
        match args.split_whitespace().collect::<Vec<_>>().as_slice() {
            [name] => Self::make_bucket(name.trim_start_matches("s3://").to_string(), cx),
            _ => cx.warn(":mb takes one bucket name"),
        }
        true
    }

    fn on_msg(&mut self, msg: Box<dyn Any + Send>, cx: &mut Ctx<'_>) {
        let Ok(made) = msg.downcast::<Made>() else {
            return;
        };
        match made.result {
            Ok((_, region)) => {
                cx.info(format!("made s3://{} in {region}", made.name));
                cx.change(|world, _| world.refresh());
            }
            Err(why) => cx.error(why),
        }
    }

    fn count(&self, world: &World) -> Option<usize> {
        Some(world.inventory.buckets.len())
    }

    fn empty_text(&self, _world: &World) -> String {
        " No buckets in this account.".to_string()
    }

    fn details(&self, world: &World) -> Option<Details> {
        let Some(RowKey::Bucket(name)) = self.pane.table.selected().map(|r| &r.key) else {
            return None;
        };
        let b = world.inventory.buckets.iter().find(|b| &b.name == name)?;
        Some((format!("Bucket {}", b.name), render::details::bucket(b)))
    }
}
