-- Support by team in 2025, in each team's business hours (crm.service_agg over the team's
-- calendar): response and resolution times in hours, SLA attainment, FCR and reopen rates.
select t.team_id, t.name as team,
       crm.tickets(s) as tickets,
       extract(epoch from crm.first_response_time(s)) / 3600 as median_first_response_hours,
       extract(epoch from crm.resolution_time(s)) / 3600 as median_resolution_hours,
       crm.sla_attainment(s, '4 hours') as response_within_4h,
       crm.fcr_rate(s) as fcr_rate,
       crm.reopen_rate(s) as reopen_rate
from (select team_id,
             crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar) as s
      from {{ source('crm_sample', 'tickets') }}
      join {{ source('crm_sample', 'teams') }} using (team_id)
      where created_at >= '2025-01-01' and created_at < '2026-01-01'
      group by team_id) agg
join {{ source('crm_sample', 'teams') }} t using (team_id)
