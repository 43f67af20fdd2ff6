//! A view of resources (instances, clusters): one implementation of the
//! view for every kind of them; a kind says only what it is called, its
//! columns and how its rows are made.

use std::any::Any;
use std::marker::PhantomData;

use super::On;
use crate::config::Action;
use crate::render::{Column, Row};
use crate::tui::ctx::{Ctx, Event};
use crate::tui::pane::Pane;
use crate::tui::view::{About, Details, View};
use crate::tui::world::World;

/// What makes one view of resources differ from another.
pub trait Kind: 'static {
    const ABOUT: &'static About;
    const COLUMNS: &'static [Column];
    /// The cell that names a row (a cluster's name is its second).
    const LABEL_CELL: usize;
    /// Its rows, as the pure renderers make them from the world.
    fn rows(world: &World) -> Vec<Row>;
    /// How many there are, before the rows are made.
    fn count(world: &World) -> usize;
}

pub struct Resources<K> {
    pane: Pane,
    kind: PhantomData<K>,
}

impl<K: Kind> Default for Resources<K> {
    fn default() -> Self {
        Self {
            pane: Pane::sorted_by_name(K::COLUMNS),
            kind: PhantomData,
        }
    }
}

impl<K: Kind> View for Resources<K> {
    fn about(&self) -> &'static About {
        K::ABOUT
    }

    fn columns(&self) -> &'static [Column] {
        K::COLUMNS
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
            .refresh(world.version, K::COLUMNS, width, || {
                let mut rows = K::rows(world);
                super::rows::overlay_transitions(K::COLUMNS, &mut rows, world);
                rows
            });
    }

    fn on_action(&mut self, action: Action, cx: &mut Ctx<'_>) -> bool {
        let on = On {
            view: K::ABOUT.id,
            table: &mut self.pane.table,
            label_cell: K::LABEL_CELL,
        };
        super::on_action(action, on, cx)
    }

    fn on_msg(&mut self, msg: Box<dyn Any + Send>, cx: &mut Ctx<'_>) {
        super::on_msg(msg, K::ABOUT.id, cx);
    }

    fn on_event(&mut self, event: &Event, _cx: &mut Ctx<'_>) {
        super::on_event(event, &mut self.pane);
    }

    fn count(&self, world: &World) -> Option<usize> {
        Some(K::count(world))
    }

    fn details(&self, world: &World) -> Option<Details> {
        super::details::details(world, &self.pane.table.selected()?.key)
    }
}
