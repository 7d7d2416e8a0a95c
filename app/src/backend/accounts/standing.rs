//! Sign-up claims: what a person says at sign-up that would change prices or access — a new
//! organisation in the zone or an SME, or membership of an existing organisation — waits for a
//! zone manager. Until it is approved the person books at the external rate.

use super::*;
use crate::domain::policy::can;

/// How many decided claims the page shows under the open ones.
const DECIDED_SHOWN: i64 = 50;

#[derive(FromRow)]
struct ClaimRow {
    id: i64,
    kind: String,
    display_name: String,
    email: String,
    verified: i64,
    name_zh: String,
    name_en: String,
    org_kind: String,
    credit_code: Option<String>,
    in_zone: i64,
    sme: i64,
    created_at: i64,
}

impl ClaimRow {
    fn view(self) -> StandingClaim {
        StandingClaim {
            id: self.id,
            kind: ClaimKind::parse(&self.kind).unwrap_or(ClaimKind::Join),
            person: self.display_name,
            email: self.email,
            verified: self.verified != 0,
            organisation: Bilingual {
                zh: self.name_zh,
                en: self.name_en,
            },
            organisation_kind: OrganisationKind::parse(&self.org_kind)
                .unwrap_or(OrganisationKind::Enterprise),
            credit_code: self.credit_code.unwrap_or_default(),
            in_zone: self.in_zone != 0,
            sme: self.sme != 0,
            created_at: self.created_at,
        }
    }
}

#[derive(FromRow)]
struct DecidedRow {
    #[sqlx(flatten)]
    claim: ClaimRow,
    outcome: String,
    granted_in_zone: i64,
    granted_sme: i64,
    decided_at: i64,
    decided_by: Option<String>,
}

const CLAIM_COLUMNS: &str = "c.id, c.kind, u.display_name, u.email, \
     CASE WHEN u.email_verified_at IS NULL THEN 0 ELSE 1 END AS verified, \
     o.name_zh, o.name_en, o.kind AS org_kind, o.credit_code, \
     CASE WHEN c.in_zone THEN 1 ELSE 0 END AS in_zone, CASE WHEN c.sme THEN 1 ELSE 0 END AS sme, \
     c.created_at";

const CLAIM_FROM: &str = "FROM standing_claims c JOIN users u ON u.id = c.user_id \
     JOIN organisations o ON o.id = c.organisation_id";

/// What a decision grants: an approval can grant less than was claimed, never more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub approve: bool,
    pub in_zone: bool,
    pub sme: bool,
}

impl Db {
    /// The open claims of the zone the person manages (the first, if several), and the latest
    /// decided ones.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn claims_page(
        &self,
        actor: Option<&Actor>,
        utc_offset_seconds: i32,
    ) -> Result<ClaimsPage, AppError> {
        let zone = managed_zone(actor)?;
        let (zh, en): (String, String) =
            sqlx::query_as("SELECT name_zh, name_en FROM zones WHERE id = $1")
                .bind(zone.0)
                .fetch_optional(self.pool())
                .await?
                .ok_or(AppError::NotFound)?;
        let open: Vec<ClaimRow> = sqlx::query_as(&format!(
            "SELECT {CLAIM_COLUMNS} {CLAIM_FROM} WHERE c.zone_id = $1 AND c.decided_at IS NULL \
             ORDER BY c.created_at, c.id"
        ))
        .bind(zone.0)
        .fetch_all(self.pool())
        .await?;
        // The decided ones with their decision, in one query.
        let decided: Vec<DecidedRow> = sqlx::query_as(&format!(
            "SELECT {CLAIM_COLUMNS}, c.outcome, CASE WHEN c.granted_in_zone THEN 1 ELSE 0 END AS granted_in_zone, \
             CASE WHEN c.granted_sme THEN 1 ELSE 0 END AS granted_sme, c.decided_at, d.display_name AS decided_by \
             {CLAIM_FROM} LEFT JOIN users d ON d.id = c.decided_by \
             WHERE c.zone_id = $1 AND c.decided_at IS NOT NULL ORDER BY c.decided_at DESC, c.id DESC LIMIT $2"
        ))
        .bind(zone.0)
        .bind(DECIDED_SHOWN)
        .fetch_all(self.pool())
        .await?;
        let decided_views = decided
            .into_iter()
            .map(|d| DecidedClaim {
                claim: d.claim.view(),
                approved: d.outcome == "approved",
                granted_in_zone: d.granted_in_zone != 0,
                granted_sme: d.granted_sme != 0,
                decided_at: d.decided_at,
                decided_by: d.decided_by.unwrap_or_default(),
            })
            .collect();
        Ok(ClaimsPage {
            zone: Bilingual { zh, en },
            utc_offset_seconds,
            open: open.into_iter().map(ClaimRow::view).collect(),
            decided: decided_views,
        })
    }

    /// A zone manager approves (granting at most what was claimed) or refuses a claim, and the
    /// person is told by mail. A claim is decided once.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn decide_claim(
        &self,
        actor: Option<&Actor>,
        claim: i64,
        decision: Decision,
        now: i64,
        settings: &Settings,
    ) -> Result<(), AppError> {
        let actor = actor.ok_or(AppError::NotSignedIn)?;
        let found: Option<(i64, String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT zone_id, kind, user_id, organisation_id, CASE WHEN in_zone THEN 1 ELSE 0 END, \
             CASE WHEN sme THEN 1 ELSE 0 END FROM standing_claims WHERE id = $1",
        )
        .bind(claim)
        .fetch_optional(self.pool())
        .await?;
        // A claim outside the zones one manages is as good as absent.
        let (zone, kind, user, organisation, in_zone, sme) = match found {
            Some(row) if can(actor, Action::DecideClaims, Target::Zone(ZoneId(row.0))) => row,
            _ if actor.managed_zones().next().is_none() => return Err(AppError::Forbidden),
            _ => return Err(AppError::NotFound),
        };
        let kind = ClaimKind::parse(&kind).unwrap_or(ClaimKind::Join);
        let grant_zone = decision.approve && decision.in_zone && in_zone != 0;
        let grant_sme = decision.approve && decision.sme && sme != 0;

        let mut tx = self.pool().begin().await?;
        let marked = sqlx::query(
            "UPDATE standing_claims SET decided_at = $1, decided_by = $2, outcome = $3, \
             granted_in_zone = $4, granted_sme = $5 WHERE id = $6 AND decided_at IS NULL",
        )
        .bind(now)
        .bind(actor.user.0)
        .bind(if decision.approve {
            "approved"
        } else {
            "refused"
        })
        .bind(decision.approve.then_some(grant_zone))
        .bind(decision.approve.then_some(grant_sme))
        .bind(claim)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() == 0 {
            return Err(AppError::validation("claim", "claim_decided"));
        }
        match (kind, decision.approve) {
            (ClaimKind::NewOrganisation, true) => {
                sqlx::query("UPDATE organisations SET zone_id = $1, is_sme = $2 WHERE id = $3")
                    .bind(grant_zone.then_some(zone))
                    .bind(grant_sme)
                    .bind(organisation)
                    .execute(&mut *tx)
                    .await?;
            }
            // A refused new organisation stays outside the zone and is not an SME: nothing to do.
            (ClaimKind::NewOrganisation, false) => {}
            (ClaimKind::Join, approve) => {
                sqlx::query(
                    "UPDATE users SET membership = $1 WHERE id = $2 AND membership = 'pending'",
                )
                .bind(if approve { "confirmed" } else { "refused" })
                .bind(user)
                .execute(&mut *tx)
                .await?;
            }
        }
        let (email, name, locale, zh, en): (String, String, String, String, String) =
            sqlx::query_as(
                "SELECT u.email, u.display_name, u.locale, o.name_zh, o.name_en \
                 FROM users u JOIN organisations o ON o.id = $2 WHERE u.id = $1",
            )
            .bind(user)
            .bind(organisation)
            .fetch_one(&mut *tx)
            .await?;
        let language = Language::parse(&locale).unwrap_or(Language::ZhCn);
        let mail = Mail {
            to: email,
            to_name: name.clone(),
            language,
            template: "claim_decided",
            context: json!({
                "name": name,
                "organisation": if language == Language::En { en } else { zh },
                "join": kind == ClaimKind::Join,
                "approved": decision.approve,
                "in_zone": grant_zone,
                "sme": grant_sme,
                "profile_link": format!("{}/profile", settings.public_url),
            }),
            booking: None,
            invite: None,
        };
        enqueue(&mut tx, &mail, now, &settings.public_url).await?;
        tx.commit().await?;
        tracing::info!(claim, approve = decision.approve, "claim decided");
        Ok(())
    }

    /// The person's claim that no one has decided yet, if any.
    pub(super) async fn open_claim_of(
        &self,
        user: UserId,
    ) -> Result<Option<StandingClaim>, sqlx::Error> {
        let row: Option<ClaimRow> = sqlx::query_as(&format!(
            "SELECT {CLAIM_COLUMNS} {CLAIM_FROM} WHERE c.user_id = $1 AND c.decided_at IS NULL \
             ORDER BY c.id DESC LIMIT 1"
        ))
        .bind(user.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(ClaimRow::view))
    }
}

/// The zone a person manages, or why they may not see its claims.
fn managed_zone(actor: Option<&Actor>) -> Result<ZoneId, AppError> {
    let actor = actor.ok_or(AppError::NotSignedIn)?;
    let zone = actor.managed_zones().next().ok_or(AppError::Forbidden)?;
    require(Some(actor), Action::DecideClaims, Target::Zone(zone))?;
    Ok(zone)
}

/// What a new account claims, recorded in the sign-up's transaction.
pub(super) enum Claim {
    /// A new organisation that says it is in the zone, or an SME, or both.
    NewOrganisation { in_zone: bool, sme: bool },
    /// Membership of an existing organisation, which brings what that organisation is.
    Join,
}

/// Records a claim; a person who joins waits for it with a pending membership. A new organisation
/// that claims nothing, or a site with no zone to decide, needs no claim.
pub(super) async fn record_claim(
    conn: &mut AnyConnection,
    user: i64,
    organisation: i64,
    claim: Claim,
    now: i64,
) -> Result<(), AppError> {
    let (org_zone, org_sme): (Option<i64>, i64) = sqlx::query_as(
        "SELECT zone_id, CASE WHEN is_sme THEN 1 ELSE 0 END FROM organisations WHERE id = $1",
    )
    .bind(organisation)
    .fetch_one(&mut *conn)
    .await?;
    let first_zone: Option<(i64,)> = sqlx::query_as("SELECT id FROM zones ORDER BY id LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let Some(zone) = org_zone.or(first_zone.map(|(z,)| z)) else {
        return Ok(());
    };
    let (kind, in_zone, sme) = match claim {
        Claim::NewOrganisation { in_zone, sme } if in_zone || sme => {
            (ClaimKind::NewOrganisation, in_zone, sme)
        }
        Claim::NewOrganisation { .. } => return Ok(()),
        Claim::Join => (ClaimKind::Join, org_zone.is_some(), org_sme != 0),
    };
    sqlx::query(
        "INSERT INTO standing_claims (user_id, organisation_id, zone_id, kind, in_zone, sme, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(user)
    .bind(organisation)
    .bind(zone)
    .bind(kind.as_str())
    .bind(in_zone)
    .bind(sme)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if kind == ClaimKind::Join {
        sqlx::query("UPDATE users SET membership = 'pending' WHERE id = $1")
            .bind(user)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
