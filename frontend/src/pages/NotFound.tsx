import { Link } from "react-router";

export function NotFound() {
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        This address is not a page of the dashboard. <Link to="/">Go to the fleet</Link>
      </p>
    </div>
  );
}
