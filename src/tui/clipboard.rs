//! Copying to the clipboard of the terminal (OSC 52, crossterm's command):
//! works over SSH and in a Chromebook's terminal.

/// Copies `text` to the terminal's clipboard.
pub fn copy(text: &str) {
    let command = crossterm::clipboard::CopyToClipboard::to_clipboard_from(text);
    if let Err(e) = crossterm::execute!(std::io::stdout(), command) {
        tracing::warn!("copying to the clipboard failed: {e}");
    }
}
