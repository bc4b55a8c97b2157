//! Minimizer used by every fit: BFGS with a backtracking (Armijo) line search on the logarithms
//! of the parameters, and a Nelder–Mead restart when BFGS stalls away from a stationary point.
//!
//! Written here rather than taken from a crate: the problems have 2 to 4 unknowns, the
//! objective comes with an analytic gradient, and what matters is the behaviour at the edges
//! (non-finite trial points are stepped back from, parameters running off to 0 or infinity are
//! reported as non-convergence); `argmin` would add a large dependency tree for ~150 lines.
//!
//! Every minimization has two limits: the iteration counts below and a [`Budget`] of wall
//! clock, so a fit that does not converge fails within about a second (longer only for data so
//! large that a single evaluation of the objective takes milliseconds).

use crate::common::interrupt;
use std::cell::Cell;
use std::time::{Duration, Instant};

thread_local! {
    /// The deadline of the minimization running on this thread (`None` outside one), for the
    /// long series inside a single evaluation: see [`evaluation_out_of_time`].
    static RUNNING_DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Whether a minimization runs on this thread and is past its deadline. A series that needs
/// millions of terms (the Pareto/NBD likelihood far from any optimum) then gives up, the
/// evaluation is not finite, and the search stops at its next check of the deadline, instead of
/// after evaluations of seconds each. Always false outside a minimization: predictions sum their
/// series to the end.
pub fn evaluation_out_of_time() -> bool {
    RUNNING_DEADLINE.with(|deadline| deadline.get().is_some_and(|at| Instant::now() >= at))
}

/// Sets the running deadline while it lives; dropping it (also while unwinding from an error)
/// restores the one before.
struct RunningDeadline(Option<Instant>);

impl RunningDeadline {
    fn set(at: Instant) -> Self {
        RunningDeadline(RUNNING_DEADLINE.with(|deadline| deadline.replace(Some(at))))
    }
}

impl Drop for RunningDeadline {
    fn drop(&mut self) {
        RUNNING_DEADLINE.with(|deadline| deadline.set(self.0));
    }
}

/// An objective: value and gradient at `point`; `None` where it is not finite.
pub trait Objective<const N: usize> {
    fn value_and_gradient(&self, point: &[f64; N]) -> Option<(f64, [f64; N])>;
}

/// Where and how a minimization ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Minimum<const N: usize> {
    pub point: [f64; N],
    pub value: f64,
    pub gradient_norm: f64,
    pub iterations: u32,
}

/// Why a minimization failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The objective is not finite at the starting point.
    NotFiniteAtStart,
    /// A coordinate left [-`BOUND`, `BOUND`] (`at`, a log-parameter): a parameter tends to 0
    /// or infinity.
    Unbounded { coordinate: usize, at: f64 },
    /// No stationary point within the iteration or time budget: the last point (coordinates,
    /// i.e. log-parameters), its gradient norm and the iterations made.
    NoConvergence {
        point: Vec<f64>,
        gradient_norm: f64,
        iterations: u32,
        /// The time budget that ran out (`None`: the iteration limits ended the search).
        out_of_time: Option<Duration>,
    },
}

/// Wall-clock time one minimization (BFGS, the Nelder–Mead restart and BFGS again) may take:
/// `time`, or the time of `evaluations` evaluations of the objective (timed at the starting
/// point) when that is longer, so that a fit over millions of distinct rows, which needs a few
/// dozen evaluations of a hundred milliseconds each, is not cut short.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub time: Duration,
    pub evaluations: u32,
}

/// The budget of every fit: 1 s, or 200 evaluations of the objective.
pub const BUDGET: Budget = Budget {
    time: Duration::from_secs(1),
    evaluations: 200,
};

/// The objective plus `penalizer`·Σ (parameterᵢ/scaleᵢ)², parameterᵢ = e^coordinateᵢ: the L2
/// penalty of lifetimes' `penalizer_coef`, which pulls the parameters toward 0. A scale other
/// than 1 penalizes a parameter in another unit (lifetimes penalizes BG/NBD's α in its time
/// scale, where the oldest customer's age is 1).
pub struct Penalized<'a, O, const N: usize> {
    pub objective: &'a O,
    pub penalizer: f64,
    pub scales: [f64; N],
}

impl<O: Objective<N>, const N: usize> Objective<N> for Penalized<'_, O, N> {
    fn value_and_gradient(&self, point: &[f64; N]) -> Option<(f64, [f64; N])> {
        let (mut value, mut gradient) = self.objective.value_and_gradient(point)?;
        if self.penalizer == 0.0 {
            return Some((value, gradient));
        }
        for index in 0..N {
            let scaled = point[index].exp() / self.scales[index];
            let square = scaled * scaled;
            value += self.penalizer * square;
            // d/dx (e^x/s)² = 2 (e^x/s)².
            gradient[index] += 2.0 * self.penalizer * square;
        }
        (value.is_finite() && gradient.iter().all(|g| g.is_finite())).then_some((value, gradient))
    }
}

/// Coordinates are logarithms: e^±40 is far outside any meaningful parameter.
pub const BOUND: f64 = 40.0;
/// A minimum found beyond e^±25 is a parameter running off to 0 or infinity, not an estimate.
pub const ACCEPTED_BOUND: f64 = 25.0;
const MAX_ITERATIONS: u32 = 1000;
/// The gradient (of a per-customer mean log-likelihood) counted as zero.
const GRADIENT_TOLERANCE: f64 = 1e-9;
/// Accepted when the line search can no longer make progress.
const STALLED_GRADIENT_TOLERANCE: f64 = 1e-6;

fn max_norm<const N: usize>(vector: &[f64; N]) -> f64 {
    vector.iter().fold(0.0, |norm, value| norm.max(value.abs()))
}

fn dot<const N: usize>(left: &[f64; N], right: &[f64; N]) -> f64 {
    left.iter().zip(right).map(|(a, b)| a * b).sum()
}

fn check_bounds<const N: usize>(point: &[f64; N], bound: f64) -> Result<(), Failure> {
    match point.iter().position(|value| value.abs() > bound) {
        Some(coordinate) => Err(Failure::Unbounded {
            coordinate,
            at: point[coordinate],
        }),
        None => Ok(()),
    }
}

/// Minimizes `objective` from `start` within [`BUDGET`]: BFGS, then (if BFGS stalls with a
/// large gradient) Nelder–Mead from the best point followed by BFGS again.
pub fn minimize<const N: usize>(
    objective: &impl Objective<N>,
    start: [f64; N],
) -> Result<Minimum<N>, Failure> {
    minimize_within(objective, start, BUDGET)
}

/// [`minimize`] with another budget.
pub fn minimize_within<const N: usize>(
    objective: &impl Objective<N>,
    start: [f64; N],
    budget: Budget,
) -> Result<Minimum<N>, Failure> {
    let (first, deadline) = Deadline::after_first(objective, &start, budget)?;
    let minimum = search(objective, (start, first), None, 0, deadline)?;
    check_bounds(&minimum.point, ACCEPTED_BOUND)?;
    Ok(minimum)
}

/// [`minimize`] continued from `from`, the minimum of an approximation of `objective` (e.g. the
/// same objective over a sample of the data), with `inverse_hessian` (the approximation's
/// inverse Hessian there) as BFGS's first inverse Hessian instead of the identity. The stopping
/// rule is [`minimize`]'s, applied to `objective`: the result is its minimum, wherever the
/// search starts; the iterations counted include `from`'s.
pub fn minimize_from<const N: usize>(
    objective: &impl Objective<N>,
    from: &Minimum<N>,
    inverse_hessian: [[f64; N]; N],
) -> Result<Minimum<N>, Failure> {
    let (first, deadline) = Deadline::after_first(objective, &from.point, BUDGET)?;
    let minimum = search(
        objective,
        (from.point, first),
        Some(inverse_hessian),
        from.iterations,
        deadline,
    )?;
    check_bounds(&minimum.point, ACCEPTED_BOUND)?;
    Ok(minimum)
}

/// When the search must end, and the time it was given.
#[derive(Clone, Copy)]
struct Deadline {
    at: Instant,
    time: Duration,
}

impl Deadline {
    /// The objective's value and gradient at `start`, and the deadline that evaluation sets:
    /// the budget's time, or its number of evaluations at the speed of this first one when
    /// that is longer.
    fn after_first<const N: usize>(
        objective: &impl Objective<N>,
        start: &[f64; N],
        budget: Budget,
    ) -> Result<((f64, [f64; N]), Deadline), Failure> {
        let started = Instant::now();
        let first = objective
            .value_and_gradient(start)
            .ok_or(Failure::NotFiniteAtStart)?;
        let time = budget
            .time
            .max(started.elapsed().saturating_mul(budget.evaluations));
        let deadline = Deadline {
            at: started + time,
            time,
        };
        Ok((first, deadline))
    }
}

impl Deadline {
    fn passed(&self) -> bool {
        Instant::now() >= self.at
    }
}

/// [`bfgs`] from `start` (with the objective's value and gradient there), then Nelder–Mead and
/// BFGS again if it stalls.
fn search<const N: usize>(
    objective: &impl Objective<N>,
    start: ([f64; N], (f64, [f64; N])),
    inverse_hessian: Option<[[f64; N]; N]>,
    previous: u32,
    deadline: Deadline,
) -> Result<Minimum<N>, Failure> {
    let _running = RunningDeadline::set(deadline.at);
    match bfgs(objective, start, inverse_hessian, previous, deadline)? {
        Outcome::Converged(minimum) => Ok(minimum),
        Outcome::Stalled(best) => {
            let polished = nelder_mead(objective, best.point, deadline)?;
            let Some(evaluated) = objective.value_and_gradient(&polished) else {
                // An evaluation cut short by the deadline is not a point that is not finite.
                return Err(if deadline.passed() {
                    no_convergence(&best, Some(deadline.time))
                } else {
                    Failure::NotFiniteAtStart
                });
            };
            match bfgs(
                objective,
                (polished, evaluated),
                None,
                best.iterations,
                deadline,
            )? {
                Outcome::Converged(minimum) => Ok(minimum),
                Outcome::Stalled(last) => Err(no_convergence(&last, None)),
            }
        }
    }
}

fn no_convergence<const N: usize>(last: &Minimum<N>, out_of_time: Option<Duration>) -> Failure {
    Failure::NoConvergence {
        point: last.point.to_vec(),
        gradient_norm: last.gradient_norm,
        iterations: last.iterations,
        out_of_time,
    }
}

enum Outcome<const N: usize> {
    Converged(Minimum<N>),
    Stalled(Minimum<N>),
}

fn identity<const N: usize>() -> [[f64; N]; N] {
    let mut matrix = [[0.0; N]; N];
    for (index, row) in matrix.iter_mut().enumerate() {
        row[index] = 1.0;
    }
    matrix
}

/// BFGS from `start` (a point with the objective's value and gradient there, evaluated once)
/// with `inverse_hessian` as the first inverse Hessian (`None`: the identity, rescaled after
/// the first step); `previous` iterations were spent before (counted in the result).
fn bfgs<const N: usize>(
    objective: &impl Objective<N>,
    (start, (value, gradient)): ([f64; N], (f64, [f64; N])),
    inverse_hessian: Option<[[f64; N]; N]>,
    previous: u32,
    deadline: Deadline,
) -> Result<Outcome<N>, Failure> {
    let (mut value, mut gradient) = (value, gradient);
    let mut point = start;
    // Inverse Hessian approximation: the identity, rescaled after the first step, unless given.
    let rescale_first_step = inverse_hessian.is_none();
    let mut inverse_hessian = inverse_hessian.unwrap_or_else(identity);
    let minimum = |point, value, gradient: &[f64; N], iterations: u32| Minimum {
        point,
        value,
        gradient_norm: max_norm(gradient),
        iterations: iterations.saturating_add(previous),
    };
    for iteration in 0..MAX_ITERATIONS {
        interrupt::check();
        if max_norm(&gradient) < GRADIENT_TOLERANCE {
            return Ok(Outcome::Converged(minimum(
                point, value, &gradient, iteration,
            )));
        }
        let mut direction = [0.0; N];
        for (index, component) in direction.iter_mut().enumerate() {
            *component = -dot(&inverse_hessian[index], &gradient);
        }
        let mut slope = dot(&direction, &gradient);
        if slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            inverse_hessian = identity();
            direction = gradient.map(|component| -component);
            slope = dot(&direction, &gradient);
        }
        // At most 2 units (a factor e^2) per coordinate per step.
        let longest = max_norm(&direction);
        let mut step = if longest > 2.0 { 2.0 / longest } else { 1.0 };
        let mut accepted = None;
        for _ in 0..60 {
            // Checked before every trial: where evaluations are slow (long series far from
            // the optimum), a whole line search of them would overrun the budget severalfold.
            if deadline.passed() {
                return Err(no_convergence(
                    &minimum(point, value, &gradient, iteration),
                    Some(deadline.time),
                ));
            }
            let mut trial = point;
            for (coordinate, delta) in trial.iter_mut().zip(&direction) {
                *coordinate += step * delta;
            }
            if let Some((trial_value, trial_gradient)) = objective.value_and_gradient(&trial) {
                if trial_value <= value + 1e-4 * step * slope {
                    accepted = Some((trial, trial_value, trial_gradient));
                    break;
                }
            }
            step *= 0.5;
        }
        // A step too small to move the point is noise (e.g. a parameter far out on a flat
        // ridge where ln Γ differences lose their digits): treat it as a failed line search.
        let accepted = accepted.filter(|_| step * max_norm(&direction) > 1e-12);
        let Some((next_point, next_value, next_gradient)) = accepted else {
            let best = minimum(point, value, &gradient, iteration);
            return Ok(if best.gradient_norm < STALLED_GRADIENT_TOLERANCE {
                Outcome::Converged(best)
            } else {
                Outcome::Stalled(best)
            });
        };
        check_bounds(&next_point, BOUND)?;
        let mut moved = [0.0; N];
        let mut change = [0.0; N];
        for index in 0..N {
            moved[index] = next_point[index] - point[index];
            change[index] = next_gradient[index] - gradient[index];
        }
        let curvature = dot(&moved, &change);
        if curvature > 1e-12 * dot(&moved, &moved).sqrt() * dot(&change, &change).sqrt() {
            if iteration == 0 && rescale_first_step {
                // Scale the identity to the curvature seen on the first step (Nocedal & Wright
                // eq. 6.20): fewer line-search trials afterwards.
                let scale = curvature / dot(&change, &change);
                for (index, row) in inverse_hessian.iter_mut().enumerate() {
                    *row = [0.0; N];
                    row[index] = scale;
                }
            }
            update_inverse_hessian(&mut inverse_hessian, &moved, &change, curvature);
        }
        let relative_change = (value - next_value).abs() / value.abs().max(1e-300);
        point = next_point;
        value = next_value;
        gradient = next_gradient;
        if relative_change < 1e-16 && max_norm(&gradient) < STALLED_GRADIENT_TOLERANCE {
            return Ok(Outcome::Converged(minimum(
                point,
                value,
                &gradient,
                iteration + 1,
            )));
        }
    }
    Ok(Outcome::Stalled(minimum(
        point,
        value,
        &gradient,
        MAX_ITERATIONS,
    )))
}

/// H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ with ρ = 1/(yᵀs).
fn update_inverse_hessian<const N: usize>(
    inverse_hessian: &mut [[f64; N]; N],
    moved: &[f64; N],
    change: &[f64; N],
    curvature: f64,
) {
    let rho = 1.0 / curvature;
    let mut h_change = [0.0; N];
    for (index, value) in h_change.iter_mut().enumerate() {
        *value = dot(&inverse_hessian[index], change);
    }
    let change_h_change = dot(change, &h_change);
    for row in 0..N {
        for column in 0..N {
            inverse_hessian[row][column] +=
                (1.0 + rho * change_h_change) * rho * moved[row] * moved[column]
                    - rho * (h_change[row] * moved[column] + moved[row] * h_change[column]);
        }
    }
}

/// A derivative-free search from `start`; returns the best vertex (when time runs out, the best
/// so far: the BFGS that follows reports it).
fn nelder_mead<const N: usize>(
    objective: &impl Objective<N>,
    start: [f64; N],
    deadline: Deadline,
) -> Result<[f64; N], Failure> {
    let value_of = |point: &[f64; N]| {
        objective
            .value_and_gradient(point)
            .map_or(f64::INFINITY, |(value, _)| value)
    };
    let mut simplex: Vec<([f64; N], f64)> = Vec::with_capacity(N + 1);
    simplex.push((start, value_of(&start)));
    for index in 0..N {
        let mut vertex = start;
        vertex[index] += 0.5;
        simplex.push((vertex, value_of(&vertex)));
    }
    for _ in 0..2000 * N {
        interrupt::check();
        simplex.sort_by(|left, right| left.1.total_cmp(&right.1));
        if deadline.passed() {
            break;
        }
        let (best, worst) = (simplex[0].1, simplex[N].1);
        if (worst - best).abs() <= 1e-15 * best.abs().max(1e-300) {
            break;
        }
        let mut centroid = [0.0; N];
        for (vertex, _) in &simplex[..N] {
            for (sum, coordinate) in centroid.iter_mut().zip(vertex) {
                *sum += coordinate / N as f64;
            }
        }
        let along = |factor: f64| {
            let mut point = [0.0; N];
            for index in 0..N {
                point[index] = centroid[index] + factor * (simplex[N].0[index] - centroid[index]);
            }
            point
        };
        let reflected = along(-1.0);
        let reflected_value = value_of(&reflected);
        if reflected_value < best {
            let expanded = along(-2.0);
            let expanded_value = value_of(&expanded);
            simplex[N] = if expanded_value < reflected_value {
                (expanded, expanded_value)
            } else {
                (reflected, reflected_value)
            };
        } else if reflected_value < simplex[N - 1].1 {
            simplex[N] = (reflected, reflected_value);
        } else {
            let contracted = along(0.5);
            let contracted_value = value_of(&contracted);
            if contracted_value < worst {
                simplex[N] = (contracted, contracted_value);
            } else {
                let anchor = simplex[0].0;
                for (vertex, value) in simplex.iter_mut().skip(1) {
                    for (coordinate, best_coordinate) in vertex.iter_mut().zip(&anchor) {
                        *coordinate = best_coordinate + 0.5 * (*coordinate - best_coordinate);
                    }
                    *value = value_of(vertex);
                }
            }
        }
        check_bounds(&simplex[0].0, BOUND)?;
    }
    simplex.sort_by(|left, right| left.1.total_cmp(&right.1));
    Ok(simplex[0].0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rosenbrock's banana in two coordinates: a classic hard valley.
    struct Rosenbrock;
    impl Objective<2> for Rosenbrock {
        fn value_and_gradient(&self, point: &[f64; 2]) -> Option<(f64, [f64; 2])> {
            let [x, y] = *point;
            let value = (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
            let gradient = [
                -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
                200.0 * (y - x * x),
            ];
            Some((value, gradient))
        }
    }

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let minimum = minimize(&Rosenbrock, [-1.2, 1.0]).unwrap();
        assert!((minimum.point[0] - 1.0).abs() < 1e-6, "{minimum:?}");
        assert!((minimum.point[1] - 1.0).abs() < 1e-6, "{minimum:?}");
    }

    /// Decreasing forever along the first coordinate: reported, not looped on.
    struct Runaway;
    impl Objective<1> for Runaway {
        fn value_and_gradient(&self, point: &[f64; 1]) -> Option<(f64, [f64; 1])> {
            let x = point[0];
            let denominator = 1.0 + x * x;
            Some((1.0 / denominator, [-2.0 * x / (denominator * denominator)]))
        }
    }

    #[test]
    fn reports_a_parameter_running_away() {
        assert!(matches!(
            minimize(&Runaway, [1.0]),
            Err(Failure::Unbounded { .. }) | Err(Failure::NoConvergence { .. })
        ));
    }

    /// Rosenbrock at 2 ms an evaluation: far more than a 20 ms budget allows.
    struct SlowRosenbrock;
    impl Objective<2> for SlowRosenbrock {
        fn value_and_gradient(&self, point: &[f64; 2]) -> Option<(f64, [f64; 2])> {
            std::thread::sleep(Duration::from_millis(2));
            Rosenbrock.value_and_gradient(point)
        }
    }

    /// An objective, 2 ms an evaluation, finite only at its start: every line search from
    /// there tries all its 60 steps.
    struct SlowWall {
        evaluations: std::cell::Cell<u32>,
    }
    impl Objective<2> for SlowWall {
        fn value_and_gradient(&self, point: &[f64; 2]) -> Option<(f64, [f64; 2])> {
            self.evaluations.set(self.evaluations.get() + 1);
            std::thread::sleep(Duration::from_millis(2));
            (*point == [0.0, 0.0]).then_some((1.0, [1.0, 1.0]))
        }
    }

    #[test]
    fn a_line_search_stops_at_the_deadline() {
        let wall = SlowWall {
            evaluations: std::cell::Cell::new(0),
        };
        let budget = Budget {
            time: Duration::from_millis(20),
            evaluations: 1,
        };
        let failure = minimize_within(&wall, [0.0, 0.0], budget).unwrap_err();
        assert!(matches!(
            failure,
            Failure::NoConvergence {
                out_of_time: Some(_),
                ..
            }
        ));
        // About ten evaluations fit in the budget; a line search run to its end takes 60.
        assert!(wall.evaluations.get() < 40, "{}", wall.evaluations.get());
    }

    #[test]
    fn stops_when_the_time_budget_is_spent() {
        let started = Instant::now();
        let budget = Budget {
            time: Duration::from_millis(20),
            evaluations: 1,
        };
        let failure = minimize_within(&SlowRosenbrock, [-1.2, 1.0], budget).unwrap_err();
        // The budget, plus at most one line search of 60 evaluations.
        assert!(
            started.elapsed() < Duration::from_millis(400),
            "{:?}",
            started.elapsed()
        );
        match failure {
            Failure::NoConvergence {
                point,
                gradient_norm,
                out_of_time,
                ..
            } => {
                assert_eq!(out_of_time, Some(Duration::from_millis(20)));
                assert_eq!(point.len(), 2);
                assert!(gradient_norm > 0.0 && gradient_norm.is_finite());
            }
            other => panic!("{other:?}"),
        }
        // A budget of evaluations: at least 50 of 2 ms, whatever the time given. (On a busy
        // machine the first evaluation, which sets the budget, may take long enough for the
        // minimization to converge; it is never cut short at 1 ms.)
        let budget = Budget {
            time: Duration::from_millis(1),
            evaluations: 50,
        };
        match minimize_within(&SlowRosenbrock, [-1.2, 1.0], budget) {
            Ok(_) => {}
            Err(Failure::NoConvergence {
                out_of_time: Some(time),
                ..
            }) => assert!(time >= Duration::from_millis(100), "{time:?}"),
            Err(other) => panic!("{other:?}"),
        }
        // With time enough the same problem converges.
        let budget = Budget {
            time: Duration::from_secs(60),
            evaluations: 1,
        };
        let minimum = minimize_within(&SlowRosenbrock, [-1.2, 1.0], budget).unwrap();
        assert!((minimum.point[0] - 1.0).abs() < 1e-6, "{minimum:?}");
    }

    /// A smooth objective of log-coordinates: Σ (e^xᵢ − i − 1)² + x₀x₁.
    struct Smooth;
    impl Objective<2> for Smooth {
        fn value_and_gradient(&self, point: &[f64; 2]) -> Option<(f64, [f64; 2])> {
            let [x, y] = *point;
            let value = (x.exp() - 1.0).powi(2) + (y.exp() - 2.0).powi(2) + x * y;
            let gradient = [
                2.0 * (x.exp() - 1.0) * x.exp() + y,
                2.0 * (y.exp() - 2.0) * y.exp() + x,
            ];
            Some((value, gradient))
        }
    }

    #[test]
    fn penalized_gradient_matches_finite_differences() {
        let penalized = Penalized {
            objective: &Smooth,
            penalizer: 0.3,
            scales: [1.0, 4.0],
        };
        let point = [0.4, -0.7];
        let (value, gradient) = penalized.value_and_gradient(&point).unwrap();
        let (plain, _) = Smooth.value_and_gradient(&point).unwrap();
        let penalty = 0.3 * (0.4f64.exp().powi(2) + ((-0.7f64).exp() / 4.0).powi(2));
        assert!((value - plain - penalty).abs() < 1e-15);
        for index in 0..2 {
            let (mut up, mut down) = (point, point);
            up[index] += 1e-6;
            down[index] -= 1e-6;
            let numeric = (penalized.value_and_gradient(&up).unwrap().0
                - penalized.value_and_gradient(&down).unwrap().0)
                / 2e-6;
            assert!(
                (numeric - gradient[index]).abs() < 1e-8,
                "{index}: {numeric} {gradient:?}"
            );
        }
        // Penalizer 0 is the objective itself.
        let unpenalized = Penalized {
            objective: &Smooth,
            penalizer: 0.0,
            scales: [1.0, 4.0],
        };
        assert_eq!(
            unpenalized.value_and_gradient(&point),
            Smooth.value_and_gradient(&point)
        );
    }

    #[test]
    fn reports_a_non_finite_start() {
        struct Nowhere;
        impl Objective<1> for Nowhere {
            fn value_and_gradient(&self, _: &[f64; 1]) -> Option<(f64, [f64; 1])> {
                None
            }
        }
        assert_eq!(minimize(&Nowhere, [0.0]), Err(Failure::NotFiniteAtStart));
    }
}
