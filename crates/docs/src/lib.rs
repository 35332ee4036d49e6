//! Renders the bureau's official documents (公文 and window slips) to PDF with typst.
//!
//! ```no_run
//! use xinfang_docs::{Renderer, RendererConfig};
//! let renderer = Renderer::new(RendererConfig::default())?;
//! let data = serde_json::json!({ "bureau_name": "东城区信访局", "doc_no": "东信告〔2026〕3号" /* … */ });
//! let out = renderer.render("visit_notice_slip", &data)?;
//! std::fs::write("slip.pdf", &out.pdf).unwrap();
//! println!("template version {}", out.template_version);
//! # Ok::<(), xinfang_docs::RenderError>(())
//! ```
//!
//! * **Templates** are typst files under `templates/`, embedded in the binary. A file with the
//!   same relative path in [`RendererConfig::template_dir`] replaces the built-in one; new files
//!   there add new document kinds. `templates/lib/` holds shared code (`gbt9704.typ` for GB/T
//!   9704 文件式/信函式 pages, `slip.typ` for window slips, `common.typ`).
//! * **Data** reaches the template as the virtual file `/data.json` (`json("/data.json")`); the
//!   renderer's font families per role are in `/_renderer.json`.
//! * **Versions**: every top-level template declares `// template-version: N` on its first line;
//!   [`Rendered::template_version`] is `N-<hash>`, where the hash covers the template and every
//!   `lib/` file, so an edited override never passes for the built-in text.
//! * **Fonts**: Fandol 仿宋/宋/黑/楷 are bundled (GPL with font exception, see
//!   `fonts/README.md`); fonts in [`RendererConfig::font_dirs`] win by the order of
//!   [`FontFamilies`]. Before rendering, every character of every string in the data is checked
//!   against the body (仿宋) chain: a character only a fallback font has gives a
//!   [`FontWarning`], one that no font has gives [`RenderError::MissingGlyph`] — never a blank
//!   box.
//!
//! See the crate README for the data keys of each template.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use typst::diag::{Severity, SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{DiagSpanKind, FileId, Source};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

mod docx;
mod fonts;
mod templates;
pub mod workbook;
mod world;

pub use docx::render_docx;
pub use fonts::{BUNDLED_FAMILIES, FontFamilies, FontRole};

use fonts::{FontSet, needs_glyph};
use templates::TemplateSet;
use world::{RenderWorld, file_id};

/// Where the renderer finds fonts and template overrides.
#[derive(Debug, Clone, Default)]
pub struct RendererConfig {
    /// Directories searched (recursively) for `.ttf`/`.otf`/`.ttc`/`.otc` fonts, e.g. the
    /// bureau's licensed 仿宋_GB2312 and 方正小标宋. Their families are used where
    /// [`RendererConfig::families`] lists them before the bundled Fandol fonts. A directory
    /// that cannot be read is an error; a file that is not a usable font is skipped. Every
    /// loaded font also serves as a last-resort fallback for characters the chains lack.
    pub font_dirs: Vec<PathBuf>,
    /// A directory of template files; a file with the same relative path as a built-in one
    /// (`visit_notice_slip.typ`, `lib/slip.typ` …) replaces it, other files are added.
    pub template_dir: Option<PathBuf>,
    /// The family chain per role. The default lists the usual Windows / 方正 names first and the
    /// bundled Fandol family last.
    pub families: FontFamilies,
}

/// A character that the role's first font lacks, rendered with a fallback font instead.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FontWarning {
    /// The character.
    pub ch: char,
    /// The family that renders it.
    pub font_used: String,
    /// Where it occurs in the data (`petitioner.name`, `attachments[2]` …).
    pub field: String,
}

impl fmt::Display for FontWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "字段 {} 中的字符「{}」(U+{:04X}) 由后备字体 {} 显示",
            self.field, self.ch, self.ch as u32, self.font_used
        )
    }
}

/// A rendered document.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The PDF file.
    pub pdf: Vec<u8>,
    /// The version of the template that produced it (`N-<hash>`), to be recorded with the
    /// document.
    pub template_version: String,
    /// Characters rendered with a fallback font.
    pub warnings: Vec<FontWarning>,
}

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No template of that name exists.
    #[error("没有名为 {0} 的文书模板")]
    UnknownTemplate(String),
    /// A character of the data has no glyph in any available font.
    #[error(
        "字段 {field} 中的字符「{ch}」(U+{code:04X}) 在所有可用字体中都没有字形，无法正确显示",
        code = *ch as u32
    )]
    MissingGlyph {
        /// The character.
        ch: char,
        /// Where it occurs in the data.
        field: String,
    },
    /// The data is not a JSON object.
    #[error("文书数据无效：{0}")]
    InvalidData(String),
    /// typst reported errors (a missing data key, a template bug).
    #[error("模板 {template} 渲染失败：{message}")]
    Template {
        /// The template name.
        template: String,
        /// The diagnostics, one per line.
        message: String,
    },
    /// PDF export failed.
    #[error("PDF 生成失败：{0}")]
    Pdf(String),
    /// Fonts could not be set up.
    #[error("字体配置错误：{0}")]
    Font(String),
    /// A configured directory or file could not be read.
    #[error("无法读取 {path}：{source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The document renderer. Loading fonts takes a few tenths of a second: create one and share it
/// (`Arc<Renderer>`); it is `Send + Sync` and renders concurrently.
pub struct Renderer {
    pub(crate) library: LazyHash<Library>,
    pub(crate) fonts: FontSet,
    pub(crate) templates: TemplateSet,
    /// Parsed `.typ` files by file id.
    pub(crate) sources: HashMap<FileId, Source>,
    /// Every template file's bytes by relative path.
    pub(crate) files: HashMap<String, Bytes>,
    pub(crate) settings_json: Bytes,
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer")
            .field("templates", &self.templates.versions)
            .field("fonts", &self.fonts.fonts.len())
            .finish_non_exhaustive()
    }
}

/// How many compilations an unused memoized result survives (see `comemo::evict`).
const CACHE_MAX_AGE: usize = 10;

impl Renderer {
    /// Loads the fonts and templates.
    pub fn new(cfg: RendererConfig) -> Result<Self, RenderError> {
        let fonts = FontSet::load(&cfg.font_dirs, &cfg.families)?;
        let templates = TemplateSet::load(cfg.template_dir.as_deref())?;

        let mut sources = HashMap::new();
        let mut files = HashMap::new();
        for (path, file) in &templates.files {
            if path.ends_with(".typ") {
                let text =
                    String::from_utf8(file.bytes.clone()).map_err(|_| RenderError::Template {
                        template: path.clone(),
                        message: "模板文件不是 UTF-8 编码".to_owned(),
                    })?;
                let id = file_id(&format!("/{path}"));
                sources.insert(id, Source::new(id, text));
            }
            files.insert(path.clone(), Bytes::new(file.bytes.clone()));
        }

        let mut roles = serde_json::Map::new();
        for role in FontRole::ALL {
            let names: Vec<serde_json::Value> = fonts
                .chain(role)
                .iter()
                .map(|f| serde_json::Value::String(f.name.clone()))
                .collect();
            roles.insert(role.key().to_owned(), serde_json::Value::Array(names));
        }
        let title_is_bundled = fonts
            .chain(FontRole::Title)
            .first()
            .is_some_and(|f| f.bundled);
        let settings = serde_json::json!({
            "fonts": roles,
            // The bundled FandolSong has no bold face: templates thicken its strokes a little
            // so that titles look like 小标宋.
            "title_faux_bold": title_is_bundled,
        });
        let settings_json = Bytes::new(settings.to_string().into_bytes());

        Ok(Self {
            library: LazyHash::new(Library::default()),
            fonts,
            templates,
            sources,
            files,
            settings_json,
        })
    }

    /// The version string of a template (`N-<hash>`), `None` for an unknown template.
    pub fn template_version(&self, template: &str) -> Option<String> {
        self.templates.version(template).map(str::to_owned)
    }

    /// Renders `template` with `data` to PDF.
    pub fn render(
        &self,
        template: &str,
        data: &serde_json::Value,
    ) -> Result<Rendered, RenderError> {
        self.render_with(template, data, &[], true)
    }

    /// Renders a bundle: a template that embeds other files (PDF pages, images) given as
    /// `(name, bytes)` and read in the template at `/files/<name>`. Written as plain PDF 1.7:
    /// PDF/A forbids embedding other PDFs.
    pub fn render_bundle(
        &self,
        template: &str,
        data: &serde_json::Value,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<Rendered, RenderError> {
        let files: Vec<(String, Bytes)> =
            files.into_iter().map(|(n, b)| (n, Bytes::new(b))).collect();
        self.render_with(template, data, &files, false)
    }

    fn render_with(
        &self,
        template: &str,
        data: &serde_json::Value,
        files: &[(String, Bytes)],
        pdf_a: bool,
    ) -> Result<Rendered, RenderError> {
        let (document, version, warnings, data_bytes) = self.compile(template, data, files)?;
        let world = self.world(template, &data_bytes, files)?;
        // A stable identifier: the same template version and data give the same PDF.
        let mut ident = Sha256::new();
        ident.update(version.as_bytes());
        ident.update([0]);
        ident.update(&data_bytes);
        let options = PdfOptions {
            ident: Smart::Custom(hex::encode(ident.finalize())),
            creator: Smart::Custom(Some("xinfang-docs".to_owned())),
            timestamp: issue_timestamp(data),
            standards: if pdf_a {
                PdfStandards::new(&[PdfStandard::A_2b])
                    .map_err(|e| RenderError::Pdf(e.message().to_string()))?
            } else {
                PdfStandards::default()
            },
            ..PdfOptions::default()
        };
        let pdf = typst_pdf::pdf(&document, &options)
            .map_err(|diags| RenderError::Pdf(format_diagnostics(&world, &diags)))?;

        Ok(Rendered {
            pdf,
            template_version: version,
            warnings,
        })
    }

    /// Renders page 1 of `template` with `data` to PNG at `pixel_per_pt` (1.0 = 72 dpi); for
    /// previews and the golden images of the tests.
    pub fn render_png(
        &self,
        template: &str,
        data: &serde_json::Value,
        pixel_per_pt: f64,
    ) -> Result<Vec<u8>, RenderError> {
        let (document, ..) = self.compile(template, data, &[])?;
        let page = document
            .pages()
            .first()
            .ok_or_else(|| RenderError::Pdf("文书没有页面".to_owned()))?;
        let pixmap = typst_render::render(
            page,
            &typst_render::RenderOptions {
                pixel_per_pt: typst::utils::Scalar::new(pixel_per_pt),
                render_bleed: false,
            },
        );
        pixmap
            .encode_png()
            .map_err(|e| RenderError::Pdf(format!("PNG 生成失败：{e}")))
    }

    fn world<'a>(
        &'a self,
        template: &str,
        data_bytes: &[u8],
        files: &'a [(String, Bytes)],
    ) -> Result<RenderWorld<'a>, RenderError> {
        let main_path = self
            .templates
            .main_path(template)
            .ok_or_else(|| RenderError::UnknownTemplate(template.to_owned()))?;
        Ok(RenderWorld {
            renderer: self,
            main: file_id(&format!("/{main_path}")),
            data: Bytes::new(data_bytes.to_vec()),
            files,
        })
    }

    /// Checks the glyphs and lays the document out.
    fn compile(
        &self,
        template: &str,
        data: &serde_json::Value,
        files: &[(String, Bytes)],
    ) -> Result<(PagedDocument, String, Vec<FontWarning>, Vec<u8>), RenderError> {
        if self.templates.main_path(template).is_none() {
            return Err(RenderError::UnknownTemplate(template.to_owned()));
        }
        let version = self
            .templates
            .version(template)
            .unwrap_or_default()
            .to_owned();
        if !data.is_object() {
            return Err(RenderError::InvalidData("数据必须是 JSON 对象".to_owned()));
        }

        let warnings = self.check_glyphs(data)?;

        let data_bytes =
            serde_json::to_vec(data).map_err(|e| RenderError::InvalidData(e.to_string()))?;
        let world = self.world(template, &data_bytes, files)?;

        let Warned { output, .. } = typst::compile::<PagedDocument>(&world);
        comemo::evict(CACHE_MAX_AGE);
        match output {
            Ok(document) => Ok((document, version, warnings, data_bytes)),
            Err(diags) => Err(RenderError::Template {
                template: template.to_owned(),
                message: format_diagnostics(&world, &diags),
            }),
        }
    }

    /// Checks every character of every string in `data` against the body font chain.
    fn check_glyphs(&self, data: &serde_json::Value) -> Result<Vec<FontWarning>, RenderError> {
        let mut warnings = Vec::new();
        let mut stack: Vec<(String, &serde_json::Value)> = vec![(String::new(), data)];
        while let Some((path, value)) = stack.pop() {
            match value {
                serde_json::Value::String(s) => {
                    for ch in s.chars().filter(|&c| needs_glyph(c)) {
                        match self.fonts.coverage(FontRole::Body, ch) {
                            Ok(None) => {}
                            Ok(Some(font_used)) => {
                                let warning = FontWarning {
                                    ch,
                                    font_used,
                                    field: path.clone(),
                                };
                                if !warnings.contains(&warning) {
                                    warnings.push(warning);
                                }
                            }
                            Err(()) => {
                                return Err(RenderError::MissingGlyph {
                                    ch,
                                    field: path.clone(),
                                });
                            }
                        }
                    }
                }
                serde_json::Value::Array(items) => {
                    for (i, item) in items.iter().enumerate().rev() {
                        stack.push((format!("{path}[{i}]"), item));
                    }
                }
                serde_json::Value::Object(map) => {
                    for (key, item) in map.iter().rev() {
                        let sub = if path.is_empty() {
                            key.clone()
                        } else {
                            format!("{path}.{key}")
                        };
                        stack.push((sub, item));
                    }
                }
                _ => {}
            }
        }
        Ok(warnings)
    }
}

/// The number of pages of a PDF file; `None` when it cannot be read (damaged or encrypted).
pub fn pdf_page_count(bytes: &[u8]) -> Option<usize> {
    let pdf = hayro_syntax::Pdf::new(bytes.to_vec()).ok()?;
    Some(pdf.pages().len())
}

/// The PDF's creation date: the document's `issued_on` (midnight, China time). PDF/A needs a
/// date, and taking it from the data keeps the output reproducible.
fn issue_timestamp(data: &serde_json::Value) -> Option<Timestamp> {
    let s = data.get("issued_on")?.as_str()?;
    let mut parts = s.trim().splitn(3, '-').map(|p| p.parse::<u32>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    let datetime = Datetime::from_ymd_hms(
        i32::try_from(y).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(d).ok()?,
        0,
        0,
        0,
    )?;
    Timestamp::new_local(datetime, 8 * 60)
}

fn format_diagnostics(world: &RenderWorld<'_>, diags: &[SourceDiagnostic]) -> String {
    use typst::World;
    let mut lines = Vec::new();
    for diag in diags.iter().filter(|d| d.severity == Severity::Error) {
        let location = match diag.span.get() {
            DiagSpanKind::Number { id, .. } | DiagSpanKind::Range { id, .. } => {
                let line =
                    world
                        .range(diag.span)
                        .zip(world.source(id).ok())
                        .map(|(range, source)| {
                            source.text()[..range.start.min(source.text().len())]
                                .matches('\n')
                                .count()
                                + 1
                        });
                let path = id.get().vpath().get_without_slash().to_owned();
                match line {
                    Some(line) => format!("{path}:{line}: "),
                    None => format!("{path}: "),
                }
            }
            DiagSpanKind::Detached => String::new(),
        };
        let mut line = format!("{location}{}", diag.message);
        for hint in &diag.hints {
            line.push_str(&format!("（提示：{}）", hint.v));
        }
        lines.push(line);
    }
    lines.join("\n")
}

#[cfg(test)]
mod assert_traits {
    fn send_sync<T: Send + Sync>() {}
    #[test]
    fn renderer_is_send_and_sync() {
        send_sync::<super::Renderer>();
    }
}
