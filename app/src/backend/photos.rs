//! Photos of resources: checked (PNG, JPEG or WebP by their content, at most
//! [`MAX_PHOTO_BYTES`] and [`MAX_SIDE`] pixels a side), re-encoded, stored with a thumbnail under
//! `<DATA_DIR>/photos`, and listed on the resource page.

use super::resources::manager_of;
use super::AppState;
use crate::domain::account::Actor;
use crate::domain::catalogue::PhotoView;
use crate::domain::ids::ResourceId;
use crate::error::AppError;

pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;
pub const MAX_SIDE: u32 = 8000;
pub const THUMB_SIDE: u32 = 480;
pub const MAX_PHOTOS: i64 = 12;

/// Checks and stores an uploaded photo of `resource`; returns it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn store(
    state: &AppState,
    actor: Option<&Actor>,
    resource: ResourceId,
    bytes: Vec<u8>,
) -> Result<PhotoView, AppError> {
    let actor = manager_of(state, actor, resource).await?;
    if bytes.is_empty() {
        return Err(AppError::validation("photo", "photo_missing"));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(AppError::validation("photo", "photo_too_large"));
    }
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM resource_photos WHERE resource_id = $1")
            .bind(resource.0)
            .fetch_one(state.db.pool())
            .await?;
    if count >= MAX_PHOTOS {
        return Err(AppError::validation("photo", "photo_too_many"));
    }
    // Decoding and resizing are CPU work: off the async threads, and a few at a time (memory
    // grows with the pixels).
    static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let _turn = DECODING
        .acquire()
        .await
        .map_err(|e| AppError::internal("decoding", e))?;
    let (original, thumb, width, height) = tokio::task::spawn_blocking(move || {
        use image::ImageFormat;
        let format = image::guess_format(&bytes)
            .ok()
            .filter(|f| matches!(f, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP))
            .ok_or("photo_type")?;
        let reader = image::ImageReader::with_format(std::io::Cursor::new(&bytes), format);
        let (width, height) = reader.into_dimensions().map_err(|_| "photo_type")?;
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err("photo_too_large");
        }
        let picture =
            image::load_from_memory_with_format(&bytes, format).map_err(|_| "photo_type")?;
        // Re-encoded, so whatever else the upload carried (metadata, trailing bytes) is dropped.
        let mut original = Vec::new();
        picture
            .to_rgb8()
            .write_to(&mut std::io::Cursor::new(&mut original), ImageFormat::Jpeg)
            .map_err(|_| "photo_type")?;
        let mut thumb = Vec::new();
        picture
            .thumbnail(THUMB_SIDE, THUMB_SIDE)
            .to_rgb8()
            .write_to(&mut std::io::Cursor::new(&mut thumb), ImageFormat::Jpeg)
            .map_err(|_| "photo_type")?;
        Ok((original, thumb, width, height))
    })
    .await
    .map_err(|e| AppError::internal("photo", e))?
    .map_err(|key| AppError::validation("photo", key))?;

    let dir = &state.settings.photos_dir;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| AppError::internal("photos folder", e))?;
    let name = super::secrets::new_token();
    let (file, thumb_file) = (
        format!("{}-{}.jpg", resource.0, &name[..24]),
        format!("{}-{}-thumb.jpg", resource.0, &name[..24]),
    );
    for (path, data) in [(&file, &original), (&thumb_file, &thumb)] {
        tokio::fs::write(dir.join(path), data)
            .await
            .map_err(|e| AppError::internal("photo file", e))?;
    }
    let now = state.clock.now().timestamp();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO resource_photos (resource_id, file, thumb, width, height, bytes, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(resource.0)
    .bind(&file)
    .bind(&thumb_file)
    .bind(i64::from(width))
    .bind(i64::from(height))
    .bind(original.len() as i64)
    .bind(actor.user.0)
    .bind(now)
    .fetch_one(state.db.pool())
    .await?;
    tracing::info!(
        resource = resource.0,
        photo = id,
        width,
        height,
        "photo added"
    );
    Ok(PhotoView {
        id,
        file,
        thumb: thumb_file,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn remove(
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
) -> Result<ResourceId, AppError> {
    let row: Option<(i64, String, String)> =
        sqlx::query_as("SELECT resource_id, file, thumb FROM resource_photos WHERE id = $1")
            .bind(id)
            .fetch_optional(state.db.pool())
            .await?;
    let (resource, file, thumb) = row.ok_or(AppError::NotFound)?;
    manager_of(state, actor, ResourceId(resource)).await?;
    sqlx::query("DELETE FROM resource_photos WHERE id = $1")
        .bind(id)
        .execute(state.db.pool())
        .await?;
    for f in [file, thumb] {
        let _ = tokio::fs::remove_file(state.settings.photos_dir.join(f)).await;
    }
    Ok(ResourceId(resource))
}

impl super::Db {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn photos_of(&self, resource: ResourceId) -> Result<Vec<PhotoView>, sqlx::Error> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, file, thumb FROM resource_photos WHERE resource_id = $1 ORDER BY id",
        )
        .bind(resource.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, file, thumb)| PhotoView { id, file, thumb })
            .collect())
    }
}
