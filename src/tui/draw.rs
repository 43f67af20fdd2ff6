//! One frame: the header, the tabs, the view on screen (it draws itself),
//! completions, the footer, then the popups bottom to top. Reads the app
//! and its layout; never changes them (the layout pass, `App::lay_out`,
//! runs before).

use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::app::App;
use super::ui;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    frame.render_widget(Block::default().style(app.theme.base()), area);
    if area.width == 0 || area.height == 0 {
        return;
    }
    let l = &app.layout;
    let (world, theme) = (&app.world, &app.theme);
    // Everything drawn here is cleaned for the terminal (names, keys and
    // messages may carry control characters); views draw their panes
    // cleaned, popups their boxes.
    let clean = |line: Line<'static>| super::popups::clean_lines(vec![line]).remove(0);
    frame.render_widget(
        Paragraph::new(clean(ui::header_line(
            world,
            theme,
            app.spinner,
            l.header.width,
        ))),
        l.header,
    );
    frame.render_widget(Paragraph::new(clean(app.tabs_line(l.tabs.width).0)), l.tabs);
    if let Some(c) = l.completions {
        let text = crate::render::text::clean(&super::app::completion_text(app.completions()))
            .into_owned();
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.dim())
                .wrap(Wrap { trim: false }),
            c,
        );
    }
    app.current().draw(frame, world, theme);
    let keys: Vec<(String, &'static str)> = app
        .current()
        .hints()
        .iter()
        .filter_map(|(action, label)| {
            let key = world.config.keys.keys_for(*action).first()?;
            Some((key.to_string(), *label))
        })
        .collect();
    let footer = ui::footer_line(theme, app.input.as_ref(), app.current_notification(), &keys);
    frame.render_widget(
        Paragraph::new(clean(footer)).wrap(Wrap { trim: false }),
        l.footer,
    );
    for p in &app.popups {
        p.draw(frame, area, theme);
    }
}
