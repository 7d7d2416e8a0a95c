//! People: profiles, an institution's members, the site's people and their roles, and the site
//! administrators.

use super::*;

#[derive(FromRow)]
struct PersonDbRow {
    id: i64,
    display_name: String,
    email: String,
    name_zh: String,
    name_en: String,
    verified: i64,
}

const PERSON_COLUMNS: &str = "u.id, u.display_name, u.email, o.name_zh, o.name_en, \
     CASE WHEN u.email_verified_at IS NULL THEN 0 ELSE 1 END AS verified";

impl Db {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn profile(
        &self,
        asking: Option<&Actor>,
        current_session: Option<&str>,
        utc_offset_seconds: i32,
    ) -> Result<Profile, AppError> {
        let user = myself(asking)?.user;
        let sessions = self.sessions_of(user, current_session).await?;
        let actor = self.actor(user).await?.ok_or(AppError::NotFound)?;
        let (phone, sme, code, zone): (Option<String>, i64, Option<String>, Option<i64>) =
            sqlx::query_as(
                "SELECT u.phone, CASE WHEN o.is_sme THEN 1 ELSE 0 END, o.credit_code, o.zone_id \
             FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.id = $1",
            )
            .bind(user.0)
            .fetch_one(self.pool())
            .await?;
        Ok(Profile {
            actor,
            phone: phone.unwrap_or_default(),
            organisation_is_sme: sme != 0,
            organisation_credit_code: code.unwrap_or_default(),
            organisation_in_zone: zone.is_some(),
            open_claim: self.open_claim_of(user).await?,
            sessions,
            tokens: self.api_tokens(user).await?,
            has_calendar_feed: self.has_calendar_feed(user).await?,
            utc_offset_seconds,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_profile(
        &self,
        actor: Option<&Actor>,
        name: &str,
        phone: &str,
        language: Language,
    ) -> Result<(), AppError> {
        let user = myself(actor)?.user;
        let name = check_name(name).map_err(invalid("name"))?;
        let phone = check_phone(phone).map_err(invalid("phone"))?;
        sqlx::query("UPDATE users SET display_name = $1, phone = $2, locale = $3 WHERE id = $4")
            .bind(name)
            .bind(phone)
            .bind(language.as_str())
            .bind(user.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// An institution's name and zone, for the policy; None if it is not an institution.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn institution(
        &self,
        id: OrganisationId,
    ) -> Result<Option<(Bilingual, Option<ZoneId>)>, sqlx::Error> {
        let row: Option<(String, String, Option<i64>)> = sqlx::query_as(
            "SELECT name_zh, name_en, zone_id FROM organisations WHERE id = $1 AND kind = 'institution'",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(zh, en, zone)| (Bilingual { zh, en }, zone.map(ZoneId))))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn members(
        &self,
        actor: Option<&Actor>,
        institution: OrganisationId,
        now: i64,
    ) -> Result<Members, AppError> {
        let name = institution_gate(self, actor, Action::RunInstitution, institution).await?;
        let rows: Vec<PersonDbRow> = sqlx::query_as(&format!(
            "SELECT {PERSON_COLUMNS} FROM users u JOIN organisations o ON o.id = u.organisation_id \
             WHERE u.organisation_id = $1 ORDER BY u.display_name"
        ))
        .bind(institution.0)
        .fetch_all(self.pool())
        .await?;
        let people = self.people_rows(rows).await?;
        let invitations: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT email, created_at, expires_at, accepted_at FROM invitations \
             WHERE institution_id = $1 AND (accepted_at IS NOT NULL OR expires_at > $2) ORDER BY created_at DESC LIMIT 100",
        )
        .bind(institution.0)
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        Ok(Members {
            institution: name,
            utc_offset_seconds: 0,
            people,
            invitations: invitations
                .into_iter()
                .map(|(email, created_at, expires_at, accepted)| InvitationRow {
                    email,
                    created_at,
                    expires_at,
                    accepted: accepted.is_some(),
                })
                .collect(),
        })
    }

    async fn people_rows(&self, rows: Vec<PersonDbRow>) -> Result<Vec<PersonRow>, sqlx::Error> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let roles = self.roles_of(&ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| PersonRow {
                id: UserId(r.id),
                roles: roles
                    .iter()
                    .filter(|(u, _)| *u == r.id)
                    .map(|(_, role)| *role)
                    .collect(),
                name: r.display_name,
                email: r.email,
                organisation: Bilingual {
                    zh: r.name_zh,
                    en: r.name_en,
                },
                verified: r.verified != 0,
            })
            .collect())
    }

    /// Everyone, for the site administrators (optionally matching `query` in name or address).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn people(&self, actor: Option<&Actor>, query: &str) -> Result<PeoplePage, AppError> {
        require(actor, Action::ManageRoles, Target::Site)?;
        let pattern = format!("%{}%", query.trim().to_lowercase());
        let rows: Vec<PersonDbRow> = sqlx::query_as(&format!(
            "SELECT {PERSON_COLUMNS} FROM users u JOIN organisations o ON o.id = u.organisation_id \
             WHERE LOWER(u.email) LIKE $1 OR LOWER(u.display_name) LIKE $1 ORDER BY u.id LIMIT 200"
        ))
        .bind(&pattern)
        .fetch_all(self.pool())
        .await?;
        let people = self.people_rows(rows).await?;
        let institutions: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, name_zh, name_en FROM organisations WHERE kind = 'institution' ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        let zones: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, name_zh, name_en FROM zones ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        Ok(PeoplePage {
            people,
            institutions: institutions
                .into_iter()
                .map(|(id, zh, en)| OrganisationOption {
                    id: OrganisationId(id),
                    name: Bilingual { zh, en },
                    kind: OrganisationKind::Institution,
                })
                .collect(),
            zones: zones
                .into_iter()
                .map(|(id, zh, en)| (ZoneId(id), Bilingual { zh, en }))
                .collect(),
        })
    }

    /// Grants or revokes a role, with an audit row. The scope must exist.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_role(
        &self,
        actor: Option<&Actor>,
        user: UserId,
        role: Role,
        granted: bool,
        now: i64,
    ) -> Result<(), AppError> {
        require(actor, Action::ManageRoles, Target::Site)?;
        let actor = actor.ok_or(AppError::NotSignedIn)?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        exists.ok_or(AppError::NotFound)?;
        let scope_ok = match role {
            Role::InstitutionAdmin(id) => self.institution(id).await?.is_some(),
            Role::ZoneManager(zone) => {
                sqlx::query_as::<_, (i64,)>("SELECT id FROM zones WHERE id = $1")
                    .bind(zone.0)
                    .fetch_optional(self.pool())
                    .await?
                    .is_some()
            }
            Role::SiteAdmin => true,
        };
        if !scope_ok {
            return Err(AppError::validation("scope", "scope_unknown"));
        }
        if !granted && role == Role::SiteAdmin && user == actor.user {
            // The last door out must not be locked from inside.
            return Err(AppError::validation("role", "cannot_revoke_own_site_admin"));
        }
        let mut tx = self.pool().begin().await?;
        let changed = if granted {
            sqlx::query(
                "INSERT INTO user_roles (user_id, role, scope_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
        } else {
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2 AND scope_id = $3")
        }
        .bind(user.0)
        .bind(role.name().as_str())
        .bind(role.scope_id())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed > 0 {
            sqlx::query(
                "INSERT INTO role_events (user_id, role, scope_id, granted, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(user.0)
            .bind(role.name().as_str())
            .bind(role.scope_id())
            .bind(granted)
            .bind(actor.user.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Creates a site administrator, or makes an existing account one and sets its password. Used
    /// by the `create-admin` command and by INITIAL_ADMIN_* at first start.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ensure_site_admin(
        &self,
        raw_email: &str,
        name: &str,
        password: String,
        now: i64,
    ) -> Result<UserId, AppError> {
        let email = account_email(raw_email)?;
        let name = check_name(name).map_err(invalid("name"))?;
        check_password(&password, &email).map_err(invalid("password"))?;
        let hash = hash_password(password).await?;
        let mut tx = self.pool().begin().await?;
        let existing: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
        let user = match existing {
            Some((id,)) => {
                sqlx::query(
                    "UPDATE users SET password_hash = $1, email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $3",
                )
                .bind(&hash)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                id
            }
            None => {
                let operator: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM organisations WHERE kind = 'enterprise' AND name_en = 'Platform operator'",
                )
                .fetch_optional(&mut *tx)
                .await?;
                let organisation = match operator {
                    Some((id,)) => id,
                    None => {
                        sqlx::query_as::<_, (i64,)>(
                            "INSERT INTO organisations (kind, name_zh, name_en, created_at) \
                             VALUES ('enterprise', '平台运营方', 'Platform operator', $1) RETURNING id",
                        )
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?
                        .0
                    }
                };
                sqlx::query_as::<_, (i64,)>(
                    "INSERT INTO users (organisation_id, email, display_name, locale, password_hash, email_verified_at, created_at) \
                     VALUES ($1, $2, $3, 'zh-CN', $4, $5, $5) RETURNING id",
                )
                .bind(organisation)
                .bind(&email)
                .bind(&name)
                .bind(&hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
                .0
            }
        };
        sqlx::query(
            "INSERT INTO user_roles (user_id, role, scope_id) VALUES ($1, 'site_admin', 0) ON CONFLICT DO NOTHING",
        )
        .bind(user)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(UserId(user))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn has_site_admin(&self) -> Result<bool, sqlx::Error> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM user_roles WHERE role = 'site_admin'")
                .fetch_one(self.pool())
                .await?;
        Ok(n > 0)
    }
}
