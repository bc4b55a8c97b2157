//! Minimizer used by every fit: BFGS with a backtracking (Armijo) line search on the logarithms
//! of the parameters, and a Nelder–Mead restart when BFGS stalls away from a stationary point.
//!
//! Written here rather than taken from a crate: the problems have 2 to 4 unknowns, the
//! objective comes with an analytic gradient, and what matters is the behaviour at the edges
//! (non-finite trial points are stepped back from, parameters running off to 0 or infinity are
//! reported as non-convergence); `argmin` would add a large dependency tree for ~150 lines.

use crate::common::interrupt;

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
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Failure {
    /// The objective is not finite at the starting point.
    NotFiniteAtStart,
    /// A coordinate left [-`BOUND`, `BOUND`]: a parameter tends to 0 or infinity.
    Unbounded { coordinate: usize },
    /// No stationary point within the iteration budget.
    NoConvergence { gradient_norm: f64 },
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
        Some(coordinate) => Err(Failure::Unbounded { coordinate }),
        None => Ok(()),
    }
}

/// Minimizes `objective` from `start`: BFGS, then (if BFGS stalls with a large gradient)
/// Nelder–Mead from the best point followed by BFGS again.
pub fn minimize<const N: usize>(
    objective: &impl Objective<N>,
    start: [f64; N],
) -> Result<Minimum<N>, Failure> {
    let minimum = search(objective, start)?;
    check_bounds(&minimum.point, ACCEPTED_BOUND)?;
    Ok(minimum)
}

fn search<const N: usize>(
    objective: &impl Objective<N>,
    start: [f64; N],
) -> Result<Minimum<N>, Failure> {
    match bfgs(objective, start)? {
        Outcome::Converged(minimum) => Ok(minimum),
        Outcome::Stalled(best) => {
            let polished = nelder_mead(objective, best.point)?;
            match bfgs(objective, polished)? {
                Outcome::Converged(mut minimum) => {
                    minimum.iterations += best.iterations;
                    Ok(minimum)
                }
                Outcome::Stalled(last) => Err(Failure::NoConvergence {
                    gradient_norm: last.gradient_norm,
                }),
            }
        }
    }
}

enum Outcome<const N: usize> {
    Converged(Minimum<N>),
    Stalled(Minimum<N>),
}

fn bfgs<const N: usize>(
    objective: &impl Objective<N>,
    start: [f64; N],
) -> Result<Outcome<N>, Failure> {
    let (mut value, mut gradient) = objective
        .value_and_gradient(&start)
        .ok_or(Failure::NotFiniteAtStart)?;
    let mut point = start;
    // Inverse Hessian approximation, starting from the identity.
    let mut inverse_hessian = [[0.0; N]; N];
    for (index, row) in inverse_hessian.iter_mut().enumerate() {
        row[index] = 1.0;
    }
    let minimum = |point, value, gradient: &[f64; N], iterations| Minimum {
        point,
        value,
        gradient_norm: max_norm(gradient),
        iterations,
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
            for (index, row) in inverse_hessian.iter_mut().enumerate() {
                *row = [0.0; N];
                row[index] = 1.0;
            }
            direction = gradient.map(|component| -component);
            slope = dot(&direction, &gradient);
        }
        // At most 2 units (a factor e^2) per coordinate per step.
        let longest = max_norm(&direction);
        let mut step = if longest > 2.0 { 2.0 / longest } else { 1.0 };
        let mut accepted = None;
        for _ in 0..60 {
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
            if iteration == 0 {
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

/// A derivative-free search from `start`; returns the best vertex.
fn nelder_mead<const N: usize>(
    objective: &impl Objective<N>,
    start: [f64; N],
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
