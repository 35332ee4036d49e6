//! The official calendar's year notices (rules §2, §12), per bureau: editable data, so an
//! administrator's change applies at once on every instance.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use xinfang_domain::calendar::{YearNotice, shipped_notices};

use crate::{Result, Store, StoreError, Tx, ts};

fn dates_json(dates: &[NaiveDate]) -> String {
    serde_json::to_string(dates).unwrap_or_else(|_| "[]".into())
}

fn dates_from(year: i64, column: &str, text: &str) -> Result<Vec<NaiveDate>> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("calendar notice {year} {column}: {e}")))
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<YearNotice> {
    let year: i64 = r.try_get("year")?;
    let holidays: String = r.try_get("holidays")?;
    let makeup: String = r.try_get("makeup_workdays")?;
    Ok(YearNotice {
        year: i32::try_from(year)
            .map_err(|_| StoreError::Corrupt(format!("calendar notice year {year}")))?,
        holidays: dates_from(year, "holidays", &holidays)?,
        makeup_workdays: dates_from(year, "makeup_workdays", &makeup)?,
    })
}

impl Store {
    /// Gives a new bureau the notices shipped with the system (2020–2026).
    pub async fn seed_calendar_notices(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for n in shipped_notices() {
            sqlx::query(
                "INSERT INTO calendar_notices (bureau_id, year, holidays, makeup_workdays, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, NULL)",
            )
            .bind(bureau_id)
            .bind(i64::from(n.year))
            .bind(dates_json(&n.holidays))
            .bind(dates_json(&n.makeup_workdays))
            .bind(ts(now))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// The bureau's year notices, in year order.
    pub async fn calendar_notices(&self, bureau_id: &str) -> Result<Vec<YearNotice>> {
        let rows = sqlx::query(
            "SELECT year, holidays, makeup_workdays FROM calendar_notices WHERE bureau_id = $1 ORDER BY year",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Adds a year's notice or replaces it (the caller validates it first).
    pub async fn upsert_calendar_notice(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        notice: &YearNotice,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO calendar_notices (bureau_id, year, holidays, makeup_workdays, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (bureau_id, year) DO UPDATE SET holidays = excluded.holidays, makeup_workdays = excluded.makeup_workdays, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(bureau_id)
        .bind(i64::from(notice.year))
        .bind(dates_json(&notice.holidays))
        .bind(dates_json(&notice.makeup_workdays))
        .bind(ts(now))
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::Bureau;

    /// A bureau created before migration 0003 gets the shipped notices from the migration
    /// itself, and they are exactly what `insert_bureau` seeds for a bureau created later.
    #[tokio::test]
    async fn calendar_migration_seeds_existing_bureaus_with_the_shipped_notices() {
        let dir = std::env::temp_dir().join(format!("xinfang-store-{}", crate::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        let store = Store::connect(&url, 1).await.unwrap();
        // The migrations before this one, as a deployment had them.
        let earlier = dir.join("migrations");
        std::fs::create_dir_all(&earlier).unwrap();
        for name in ["0001_init.sql", "0002_decision_reasons.sql"] {
            std::fs::copy(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(name),
                earlier.join(name),
            )
            .unwrap();
        }
        let before = sqlx::migrate::Migrator::new(earlier.as_path())
            .await
            .unwrap();
        before.run(store.pool()).await.unwrap();
        let now = Utc::now();
        sqlx::query("INSERT INTO bureaus (id, code, name, organ_code, region_code, workday_end, created_at) VALUES ('old', 'old', '旧局', '旧信', '652302', '17:30', $1)")
            .bind(ts(now))
            .execute(store.pool())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        assert_eq!(
            store.calendar_notices("old").await.unwrap(),
            shipped_notices()
        );

        let b = Bureau {
            id: "new".into(),
            code: "new".into(),
            name: "新局".into(),
            organ_code: "新信".into(),
            region_code: "652302".into(),
            workday_end: "17:30".into(),
        };
        let mut tx = store.begin().await.unwrap();
        store.insert_bureau(&mut tx, &b, now).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            store.calendar_notices("new").await.unwrap(),
            shipped_notices()
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
