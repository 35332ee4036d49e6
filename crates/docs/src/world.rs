//! The typst `World` for one render: the template tree, two virtual JSON files and the fonts.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, World};

use crate::Renderer;

/// Virtual path of the per-render data (`json("/data.json")` in templates).
pub(crate) const DATA_PATH: &str = "/data.json";
/// Virtual path of the renderer's settings (font families per role).
pub(crate) const RENDERER_PATH: &str = "/_renderer.json";

pub(crate) fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("valid virtual path");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

static DATA_ID: LazyLock<FileId> = LazyLock::new(|| file_id(DATA_PATH));
static RENDERER_ID: LazyLock<FileId> = LazyLock::new(|| file_id(RENDERER_PATH));

pub(crate) struct RenderWorld<'a> {
    pub renderer: &'a Renderer,
    pub main: FileId,
    pub data: Bytes,
    /// Files a bundle embeds (a dossier's pieces), at `/files/<name>`.
    pub files: &'a [(String, Bytes)],
}

/// The path of a file id relative to the template root, without the leading `/`.
fn relative(id: FileId) -> Option<&'static str> {
    let rooted = id.get();
    match rooted.root() {
        VirtualRoot::Project => Some(rooted.vpath().get_without_slash()),
        VirtualRoot::Package(_) => None,
    }
}

fn not_found(id: FileId) -> FileError {
    let path = relative(id).unwrap_or("<package>");
    FileError::NotFound(path.into())
}

impl World for RenderWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.renderer.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.renderer.fonts.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if let Some(source) = self.renderer.sources.get(&id) {
            return Ok(source.clone());
        }
        let bytes = self.file(id)?;
        let text = std::str::from_utf8(bytes.as_slice()).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.to_owned()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *DATA_ID {
            return Ok(self.data.clone());
        }
        if id == *RENDERER_ID {
            return Ok(self.renderer.settings_json.clone());
        }
        let path = relative(id).ok_or_else(|| not_found(id))?;
        if let Some(name) = path.strip_prefix("files/") {
            return self
                .files
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, b)| b.clone())
                .ok_or_else(|| not_found(id));
        }
        self.renderer
            .files
            .get(path)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.renderer.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Documents take their dates from the data, never from the clock: rendering stays
        // reproducible.
        None
    }
}
