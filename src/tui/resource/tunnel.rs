//! `t` on a row: the tunnel dialog for its instance or cluster master, with
//! who it will log in as, where and with which key read from AWS meanwhile.
//! The tunnel itself is the Tunnels view's (the dialog tells it to open).

use crate::ops::tunnel::TunnelSettings;
use crate::tui::ctx::Ctx;
use crate::tui::notify::Say;
use crate::tui::popups::tunnel::{TunnelDialog, TunnelPreview};
use crate::tui::table::Table;

pub fn open_dialog(table: &Table, label_cell: usize, cx: &mut Ctx<'_>) {
    let Some(row) = table.selected() else {
        return;
    };
    let Some(target) = row.key.target().cloned() else {
        return cx.warn(
            "tunnels go to instances and cluster masters: select one in Instances or Clusters",
        );
    };
    let label = row
        .cells
        .get(label_cell)
        .map_or_else(|| target.to_string(), |c| c.text.clone());
    let w = cx.world;
    let (tt, defaults) =
        match crate::ops::tunnel::target::tunnel_target(&w.inventory, &target, &label, &w.config) {
            Ok(found) => found,
            Err(e) => return cx.warn(e),
        };
    let presets = w
        .config
        .tunnel
        .presets
        .iter()
        .map(|(name, port)| (name.clone(), *port, defaults.contains(name)))
        .collect();
    if let (Some(session), Some(actions)) = (w.session.clone(), cx.actions()) {
        // The preview pushes nothing; it says where a one-time key would be.
        let settings =
            TunnelSettings::from_config(&w.config, &w.dirs, false).with_instance_connect(actions);
        let t = tt.clone();
        cx.spawn_for_popup(async move {
            TunnelPreview {
                instance_id: t.instance_id.clone(),
                result: crate::ops::tunnel::preview(&session, &t, &settings).await,
            }
        });
    }
    cx.open(TunnelDialog {
        target: tt,
        presets,
        cursor: 0,
        extra: String::new(),
        accept_new_host_key: false,
        all_presets: w.config.tunnel.presets.clone(),
        preview: None,
        scroll: Default::default(),
    });
}
