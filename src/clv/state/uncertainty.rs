//! Standard errors of a fit: the observed information, the Hessian of the minimized objective
//! (the negative log-likelihood plus the penalty, as fitted) at the estimate, inverted.
//!
//! The objectives of the fits are per-customer means over log-parameters u = ln θ with an
//! analytic gradient. The Hessian H_u of the total (mean × customers) is taken by central
//! differences of that gradient, with a step of [`STEP`] in each log-parameter (a relative step
//! of about 1e-4 in each parameter), then symmetrized. At the estimate the gradient is zero, so
//! the Hessian in the parameters themselves is D⁻¹ H_u D⁻¹ with D = diag(θ), and the covariance
//! of θ is D H_u⁻¹ D: the standard error of θᵢ is θᵢ·√(H_u⁻¹)ᵢᵢ. A Hessian that is not
//! positive definite (a flat or saddle direction) gives no standard errors.
use super::optimize::Objective;
use super::StdErrors;

/// The finite-difference step in each log-parameter.
pub const STEP: f64 = 1e-4;

/// Standard errors of the parameters e^`point` of a fit whose objective is the mean over
/// `total_weight` customers; `None` when the Hessian is not finite or not positive definite.
pub fn standard_errors<const N: usize>(
    objective: &impl Objective<N>,
    point: &[f64; N],
    total_weight: f64,
) -> Option<StdErrors> {
    let mut hessian = [[0.0; N]; N];
    for (index, row) in hessian.iter_mut().enumerate() {
        let (mut above, mut below) = (*point, *point);
        above[index] += STEP;
        below[index] -= STEP;
        let (_, upper) = objective.value_and_gradient(&above)?;
        let (_, lower) = objective.value_and_gradient(&below)?;
        for (cell, (upper, lower)) in row.iter_mut().zip(upper.iter().zip(&lower)) {
            *cell = total_weight * (upper - lower) / (2.0 * STEP);
        }
    }
    from_hessian(&symmetrized(hessian), point)
}

/// Standard errors of the parameters e^`point` from the Hessian of the total objective
/// (mean × customers) in the log-parameters at the estimate, when a fit computes it directly;
/// `None` when it is not finite or not positive definite.
pub fn from_hessian<const N: usize>(
    hessian: &[[f64; N]; N],
    point: &[f64; N],
) -> Option<StdErrors> {
    let variances = inverse_diagonal(hessian)?;
    let errors: Vec<f64> = variances
        .iter()
        .zip(point)
        .map(|(variance, coordinate)| coordinate.exp() * variance.sqrt())
        .collect();
    StdErrors::new(&errors)
}

fn symmetrized<const N: usize>(mut matrix: [[f64; N]; N]) -> [[f64; N]; N] {
    let transposed = matrix;
    for (i, row) in matrix.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = 0.5 * (*cell + transposed[j][i]);
        }
    }
    matrix
}

/// The diagonal of the inverse of a symmetric matrix, through its Cholesky factor; `None`
/// unless the matrix is finite and positive definite.
pub fn inverse_diagonal<const N: usize>(matrix: &[[f64; N]; N]) -> Option<[f64; N]> {
    let inverse = inverse(matrix)?;
    let mut diagonal = [0.0; N];
    for (index, entry) in diagonal.iter_mut().enumerate() {
        *entry = inverse[index][index];
    }
    diagonal
        .iter()
        .all(|value| value.is_finite() && *value > 0.0)
        .then_some(diagonal)
}

/// The inverse of a symmetric positive definite matrix, through its Cholesky factor; `None`
/// unless the matrix is finite and positive definite.
pub fn inverse<const N: usize>(matrix: &[[f64; N]; N]) -> Option<[[f64; N]; N]> {
    // matrix = L Lᵀ.
    let mut lower = [[0.0; N]; N];
    for i in 0..N {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| lower[i][k] * lower[j][k]).sum();
            let rest = matrix[i][j] - sum;
            if i == j {
                if !(rest.is_finite() && rest > 0.0) {
                    return None;
                }
                lower[i][i] = rest.sqrt();
            } else {
                lower[i][j] = rest / lower[j][j];
            }
        }
    }
    // (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹: the columns of L⁻¹ by forward substitution, then their products.
    let mut solved = [[0.0; N]; N];
    for (column, solved_column) in solved.iter_mut().enumerate() {
        for row in column..N {
            let target = if row == column { 1.0 } else { 0.0 };
            let sum: f64 = (column..row)
                .map(|k| lower[row][k] * solved_column[k])
                .sum();
            solved_column[row] = (target - sum) / lower[row][row];
        }
    }
    let mut inverse = [[0.0; N]; N];
    for (i, row) in inverse.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..N).map(|k| solved[i][k] * solved[j][k]).sum();
        }
    }
    inverse
        .iter()
        .flatten()
        .all(|value| value.is_finite())
        .then_some(inverse)
}

/// The 95 % Wald interval of an estimate: estimate ∓ 1.96·se, the normal interval lifetimes'
/// `summary` shows.
pub fn wald_interval(estimate: f64, std_error: f64) -> (f64, f64) {
    const Z: f64 = 1.96;
    (estimate - Z * std_error, estimate + Z * std_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quadratic in the parameters θ = e^u: ½ Σ cᵢⱼ (θᵢ − mᵢ)(θⱼ − mⱼ) per customer.
    struct Quadratic {
        curvature: [[f64; 2]; 2],
        minimum: [f64; 2],
    }

    impl Objective<2> for Quadratic {
        fn value_and_gradient(&self, point: &[f64; 2]) -> Option<(f64, [f64; 2])> {
            let theta = point.map(f64::exp);
            let offset = [theta[0] - self.minimum[0], theta[1] - self.minimum[1]];
            let mut value = 0.0;
            let mut gradient = [0.0; 2];
            for i in 0..2 {
                for j in 0..2 {
                    value += 0.5 * self.curvature[i][j] * offset[i] * offset[j];
                    gradient[i] += self.curvature[i][j] * offset[j] * theta[i];
                }
            }
            Some((value, gradient))
        }
    }

    #[test]
    fn a_quadratic_gives_its_inverse_curvature() {
        let objective = Quadratic {
            curvature: [[4.0, 1.0], [1.0, 2.0]],
            minimum: [3.0, 0.5],
        };
        let point = objective.minimum.map(f64::ln);
        let errors = standard_errors(&objective, &point, 100.0).unwrap();
        // Covariance = (100 C)⁻¹ = [[2, −1], [−1, 4]] / 700.
        let expected = [(2.0f64 / 700.0).sqrt(), (4.0f64 / 700.0).sqrt()];
        for (got, want) in errors.values().iter().zip(expected) {
            assert!((got / want - 1.0).abs() < 1e-6, "{got} {want}");
        }
    }

    #[test]
    fn a_saddle_or_flat_direction_gives_none() {
        for curvature in [[[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]]] {
            let objective = Quadratic {
                curvature,
                minimum: [1.0, 1.0],
            };
            assert_eq!(standard_errors(&objective, &[0.0, 0.0], 10.0), None);
        }
        assert_eq!(inverse_diagonal(&[[1.0, 2.0], [2.0, 1.0]]), None);
        assert_eq!(inverse_diagonal(&[[f64::NAN]]), None);
        assert_eq!(inverse_diagonal(&[[4.0]]), Some([0.25]));
        assert_eq!(inverse(&[[1.0, 2.0], [2.0, 1.0]]), None);
    }

    #[test]
    fn the_inverse_times_the_matrix_is_the_identity() {
        let matrix = [
            [4.0, 1.0, 0.5, 0.2],
            [1.0, 3.0, 0.3, 0.1],
            [0.5, 0.3, 2.0, 0.7],
            [0.2, 0.1, 0.7, 1.5],
        ];
        let inverse = inverse(&matrix).unwrap();
        for (i, matrix_row) in matrix.iter().enumerate() {
            for j in 0..4 {
                let product: f64 = matrix_row
                    .iter()
                    .zip(&inverse)
                    .map(|(entry, inverse_row)| entry * inverse_row[j])
                    .sum();
                let identity = if i == j { 1.0 } else { 0.0 };
                assert!((product - identity).abs() < 1e-12, "{i} {j} {product}");
            }
        }
    }

    #[test]
    fn the_interval_is_the_normal_one() {
        assert_eq!(wald_interval(1.0, 0.5), (1.0 - 0.98, 1.0 + 0.98));
    }
}
